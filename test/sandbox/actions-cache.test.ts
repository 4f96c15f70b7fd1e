// The sandbox's Actions cache service driven by the real @actions/cache client (restoreCache and
// saveCache from the package), pointed at it through the variables the runner sets. What the
// client prints is what a user sees in the job log, so that is what these tests read.

import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import * as cache from '@actions/cache';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ActionsCacheScenario } from './actions-cache.ts';
import { type Sandbox, type StartOptions, startSandbox } from './server.ts';

const MiB = 1024 * 1024;
const sandboxes: Sandbox[] = [];
const dirs: string[] = [];
let printed: string[] = [];

beforeEach(() => {
  printed = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    printed.push(String(chunk));
    return true;
  });
});

afterEach(async () => {
  vi.restoreAllMocks();
  await Promise.all(sandboxes.splice(0).map((s) => s.stop()));
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** Lines the client wrote to the job log, without masks and debug lines. */
function log(): string[] {
  return printed
    .join('')
    .split('\n')
    .filter((l) => l !== '' && !l.startsWith('::add-mask::') && !l.startsWith('::debug::'));
}

function debugLog(): string[] {
  return printed
    .join('')
    .split('\n')
    .filter((l) => l.startsWith('::debug::'));
}

/** A sandbox with the cache service, and a job whose workspace and temp dir are fresh. */
async function job(scenario: ActionsCacheScenario = {}, options: StartOptions = {}) {
  const sb = await startSandbox({ actionsCache: scenario }, { registry: false, ...options });
  sandboxes.push(sb);
  const workspace = mkdtempSync(join(tmpdir(), 'actions-cache-ws-'));
  const runnerTemp = mkdtempSync(join(tmpdir(), 'actions-cache-tmp-'));
  dirs.push(workspace, runnerTemp);
  for (const [name, value] of Object.entries(sb.env)) vi.stubEnv(name, value);
  vi.stubEnv('GITHUB_WORKSPACE', workspace);
  vi.stubEnv('RUNNER_TEMP', runnerTemp);
  const service = sb.actionsCache!;
  const path = join(workspace, 'blob.bin');
  /** Writes `bytes` random (incompressible) bytes at the cached path and returns them. */
  const write = (bytes: number) => {
    const data = randomBytes(bytes);
    writeFileSync(path, data);
    return data;
  };
  const ops = (service: 'actions-cache' | 'actions-cache-blob') =>
    sb.calls.filter((c) => c.service === service).map((c) => `${c.operation} ${c.status}`);
  return { sb, service, path, write, ops };
}

describe('saving and restoring through the real @actions/cache client', () => {
  it('round-trips a file; downloads go through the Azure SDK as a HEAD and 4 MiB ranged GETs', async () => {
    const { sb, service, path, write, ops } = await job();
    const data = write(9_000_000);

    const id = await cache.saveCache([path], 'layer-sha256-aaa');
    rmSync(path);
    const hit = await cache.restoreCache([path], 'layer-sha256-aaa');

    expect(id).toBe(1);
    expect(hit).toBe('layer-sha256-aaa');
    expect(readFileSync(path).equals(data)).toBe(true);
    expect(ops('actions-cache')).toEqual([
      'CreateCacheEntry 200',
      'FinalizeCacheEntryUpload 200',
      'GetCacheEntryDownloadURL 200',
    ]);
    const archive = service.entries()[0]!.sizeBytes;
    expect(archive).toBeGreaterThan(data.length);
    expect(ops('actions-cache-blob')).toEqual([
      'PutBlob 201',
      'GetBlobProperties 200',
      'GetBlob 206',
      'GetBlob 206',
      'GetBlob 206',
    ]);
    const ranges = sb.callsTo('GetBlob', 'actions-cache-blob').map((c) => {
      return (c.params as { range: string }).range;
    });
    expect(ranges.sort()).toEqual([
      `bytes=0-${4 * MiB - 1}`,
      `bytes=${4 * MiB}-${8 * MiB - 1}`,
      `bytes=${8 * MiB}-${archive - 1}`,
    ]);
    expect(service.traffic()).toEqual({ uploaded: archive, downloaded: archive });
    expect(log()).toContain('Cache hit for: layer-sha256-aaa');
  });

  it('with a blob endpoint that is not *.blob.core.windows.net the client downloads with one plain GET', async () => {
    const { path, write, ops } = await job({ blobEndpoint: 'direct' });
    const data = write(5_000_000);

    await cache.saveCache([path], 'k');
    rmSync(path);
    expect(await cache.restoreCache([path], 'k')).toBe('k');

    expect(readFileSync(path).equals(data)).toBe(true);
    expect(ops('actions-cache-blob')).toEqual(['PutBlob 201', 'GetBlob 200']);
  });

  it('uploads an archive over 128 MiB in 64 MiB blocks and commits them as one block list', async () => {
    const { service, path, write, ops } = await job();
    write(140 * MiB);

    expect(await cache.saveCache([path], 'big')).toBe(1);

    expect(ops('actions-cache-blob')).toEqual([
      'PutBlock 201',
      'PutBlock 201',
      'PutBlock 201',
      'PutBlockList 201',
    ]);
    expect(service.entries()[0]!.sizeBytes).toBe(service.traffic().uploaded);
  });
});

describe('cache key matching and scopes', () => {
  it('matches the exact key first, then the newest entry a key or restore key is a prefix of, and only the same paths', async () => {
    const { path } = await job();
    for (const key of ['deps-linux', 'deps-linux-2', 'deps-mac-1']) {
      writeFileSync(path, key);
      expect(await cache.saveCache([path], key)).toBeGreaterThan(0);
    }
    const restore = async (key: string, restoreKeys: string[] = []) => {
      rmSync(path, { force: true });
      const hit = await cache.restoreCache([path], key, restoreKeys);
      return hit === undefined ? undefined : [hit, readFileSync(path, 'utf8')];
    };

    expect(await restore('deps-linux')).toEqual(['deps-linux', 'deps-linux']);
    expect(await restore('deps-linux-')).toEqual(['deps-linux-2', 'deps-linux-2']);
    expect(await restore('deps-windows-1', ['deps-windows-', 'deps-linux'])).toEqual([
      'deps-linux',
      'deps-linux',
    ]);
    expect(await restore('deps-')).toEqual(['deps-mac-1', 'deps-mac-1']);
    expect(await restore('deps-bsd-1', ['deps-bsd-'])).toBeUndefined();
    // The version hashes the paths: the same key saved from another path is another entry.
    expect(await cache.restoreCache([`${path}.other`], 'deps-linux')).toBeUndefined();
    expect(log()).toContain('Cache hit for restore-key: deps-linux');
  });

  it('a branch restores the default branch’s entries, keeps its own apart, and a read-only token cannot save', async () => {
    const { sb, service, path, write } = await job();
    write(1000);
    await cache.saveCache([path], 'from-main');

    vi.stubEnv('ACTIONS_RUNTIME_TOKEN', service.token({ ref: 'refs/heads/feature' }));
    expect(await cache.restoreCache([path], 'from-main')).toBe('from-main');
    expect(await cache.saveCache([path], 'from-feature')).toBeGreaterThan(0);

    vi.stubEnv('ACTIONS_RUNTIME_TOKEN', sb.env.ACTIONS_RUNTIME_TOKEN!);
    expect(await cache.restoreCache([path], 'from-feature')).toBeUndefined();

    vi.stubEnv(
      'ACTIONS_RUNTIME_TOKEN',
      service.token({ ref: 'refs/pull/7/merge', base: 'refs/heads/main', readOnly: true }),
    );
    expect(await cache.restoreCache([path], 'from-main')).toBe('from-main');
    expect(await cache.saveCache([path], 'from-pr')).toBe(-1);
    expect(log()).toContain(
      '::warning::Failed to save: Unable to reserve cache with key from-pr. More details: cache write denied: token has no writable scopes',
    );

    // The runner can also turn saving off for the job: the client then never asks the service.
    vi.stubEnv('ACTIONS_CACHE_MODE', 'read');
    const creates = sb.callsTo('CreateCacheEntry', 'actions-cache').length;
    expect(await cache.saveCache([path], 'not-asked')).toBe(-1);
    expect(sb.callsTo('CreateCacheEntry', 'actions-cache')).toHaveLength(creates);
    expect(log()).toContain(
      "Cache save skipped: the effective cache-mode 'read' does not permit writes.",
    );
    expect(service.entries().map((e) => [e.key, e.scope])).toEqual([
      ['from-main', 'refs/heads/main'],
      ['from-feature', 'refs/heads/feature'],
    ]);
  });
});

describe('entries are immutable and the repository cap evicts the least recently used', () => {
  it('refuses a second save of a key with 409, which the client logs as a line of information and -1', async () => {
    const { sb, path, write } = await job();
    const first = write(1000);
    expect(await cache.saveCache([path], 'once')).toBe(1);
    write(1000);

    expect(await cache.saveCache([path], 'once')).toBe(-1);

    expect(sb.callsTo('CreateCacheEntry', 'actions-cache').map((c) => c.status)).toEqual([
      200, 409,
    ]);
    expect(log()).toContain(
      'Failed to save: Unable to reserve cache with key once, another job may be creating this cache.',
    );
    expect(log().filter((l) => l.startsWith('::warning::'))).toEqual([]);
    expect(debugLog()).toContain(
      '::debug::Failed to reserve cache: Error: Failed to CreateCacheEntry: Received non-retryable error: Failed request: (409) Conflict: cache entry with the same key, version, and scope already exists',
    );
    rmSync(path);
    await cache.restoreCache([path], 'once');
    expect(readFileSync(path).equals(first)).toBe(true);
  });

  it('evicts the least recently used entries once a save takes the repository over its cap', async () => {
    const { service, path, write } = await job({ capBytes: 3_500_000 });
    for (const key of ['a', 'b', 'c']) {
      write(1_000_000);
      await cache.saveCache([path], key);
    }
    expect(await cache.restoreCache([path], 'a')).toBe('a');
    write(1_000_000);
    await cache.saveCache([path], 'd');

    expect(service.entries().map((e) => e.key)).toEqual(['a', 'c', 'd']);
    expect(service.usedBytes()).toBeLessThanOrEqual(3_500_000);
    expect(await cache.restoreCache([path], 'b')).toBeUndefined();
    expect(await cache.restoreCache([path], 'c')).toBe('c');
  });
});

describe('rate limits', () => {
  it('past the uploads-per-minute limit the client neither waits nor retries: it warns and returns -1', async () => {
    const { sb, path, write } = await job({ uploadsPerMinute: 2 });
    write(1000);
    await cache.saveCache([path], 'one');
    await cache.saveCache([path], 'two');

    expect(await cache.saveCache([path], 'three')).toBe(-1);

    const creates = sb.callsTo('CreateCacheEntry', 'actions-cache');
    expect(creates.map((c) => c.status)).toEqual([200, 200, 429]);
    const warning = log().find((l) => l.startsWith("::warning::You've hit a rate limit"));
    expect(warning).toMatch(
      /^::warning::You've hit a rate limit, your rate limit will reset in (59|60) seconds$/,
    );
    expect(log()).toContain(
      'Failed to save: Unable to reserve cache with key three, another job may be creating this cache.',
    );
  });

  it('a 429 on creating an entry reserves nothing: the same key saves right after Retry-After', async () => {
    const { sb, path, write } = await job();
    write(1000);
    sb.faults.set([
      {
        kind: 'throttle',
        service: 'actions-cache',
        operation: 'CreateCacheEntry',
        count: 1,
        retryAfter: 1,
      },
    ]);

    expect(await cache.saveCache([path], 'k')).toBe(-1);
    expect(log()).toContain(
      "::warning::You've hit a rate limit, your rate limit will reset in 1 seconds",
    );
    await sleep(1000);
    expect(await cache.saveCache([path], 'k')).toBe(1);
  });

  it('a 429 on the blob upload is not retried, and the reserved key stays locked until the 24-hour reservation lapses', async () => {
    // 20,000 simulated seconds a second: the reservation lapses about 4.3 s after it was made.
    const { sb, path, write } = await job({}, { speed: 20_000 });
    write(1000);
    sb.faults.set([
      {
        kind: 'throttle',
        service: 'actions-cache-blob',
        operation: 'PutBlob',
        status: 429,
        count: 1,
      },
    ]);

    expect(await cache.saveCache([path], 'k')).toBe(-1);
    expect(log()).toContainEqual(
      expect.stringMatching(
        /^::warning::uploadCacheArchiveSDK: internal error uploading cache archive: The server is busy\./,
      ),
    );
    expect(log()).toContainEqual(
      expect.stringMatching(/^::warning::Failed to save: The server is busy\./),
    );
    expect(sb.callsTo('PutBlob', 'actions-cache-blob').map((c) => c.status)).toEqual([429]);
    expect(sb.callsTo('FinalizeCacheEntryUpload', 'actions-cache')).toHaveLength(0);

    expect(await cache.saveCache([path], 'k')).toBe(-1);
    expect(sb.callsTo('CreateCacheEntry', 'actions-cache').map((c) => c.status)).toEqual([
      200, 409,
    ]);

    await sleep((24 * 3600_000) / 20_000 + 200);
    expect(await cache.saveCache([path], 'k')).toBeGreaterThan(0);
  });
});

describe('server errors', () => {
  it('retries a 503 from the blob storage at once and saves', async () => {
    const { sb, path, write } = await job();
    write(1000);
    sb.faults.set([
      { kind: 'error', service: 'actions-cache-blob', operation: 'PutBlob', status: 503, count: 1 },
    ]);

    expect(await cache.saveCache([path], 'k')).toBe(1);
    expect(sb.callsTo('PutBlob', 'actions-cache-blob').map((c) => c.status)).toEqual([503, 201]);
  });

  it('retries a 503 from the cache service after 3 seconds and restores', async () => {
    const { sb, path, write } = await job();
    write(1000);
    await cache.saveCache([path], 'k');
    sb.faults.set([
      {
        kind: 'error',
        service: 'actions-cache',
        operation: 'GetCacheEntryDownloadURL',
        status: 503,
        count: 1,
      },
    ]);

    expect(await cache.restoreCache([path], 'k')).toBe('k');
    expect(log()).toContain(
      'Attempt 1 of 5 failed with error: Failed request: (503) Service Unavailable: service unavailable. Retrying request in 3000 ms...',
    );
    const [failed, retried] = sb.callsTo('GetCacheEntryDownloadURL', 'actions-cache');
    expect(retried!.realTime - failed!.realTime).toBeGreaterThanOrEqual(3000);
  });

  it('a 500 on a ranged GET is retried by the Azure SDK; the plain GET path gives up at once', async () => {
    const azure = await job();
    const data = azure.write(9_000_000);
    await cache.saveCache([azure.path], 'k');
    rmSync(azure.path);
    azure.sb.faults.set([
      { kind: 'error', service: 'actions-cache-blob', operation: 'GetBlob', status: 500, count: 1 },
    ]);
    expect(await cache.restoreCache([azure.path], 'k')).toBe('k');
    expect(readFileSync(azure.path).equals(data)).toBe(true);

    const direct = await job({ blobEndpoint: 'direct' });
    direct.write(1000);
    await cache.saveCache([direct.path], 'k');
    direct.sb.faults.set([
      { kind: 'error', service: 'actions-cache-blob', operation: 'GetBlob', status: 500, count: 1 },
    ]);
    expect(await cache.restoreCache([direct.path], 'k')).toBeUndefined();
    expect(log()).toContain(
      '::warning::Failed to restore: downloadCache failed: Cache service responded with 500',
    );
  });
});

describe('broken downloads', () => {
  it('a download cut short is a warning and a miss on either path, with nothing left at the path', async () => {
    const azure = await job();
    azure.write(9_000_000);
    await cache.saveCache([azure.path], 'k');
    rmSync(azure.path);
    azure.service.truncateDownloads({ count: 1 });
    expect(await cache.restoreCache([azure.path], 'k')).toBeUndefined();
    expect(log()).toContain('::warning::Failed to restore: The operation was aborted.');
    expect(existsSync(azure.path)).toBe(false);

    const direct = await job({ blobEndpoint: 'direct' });
    direct.write(1000);
    await cache.saveCache([direct.path], 'k');
    rmSync(direct.path);
    direct.service.truncateDownloads({ count: 1 });
    expect(await cache.restoreCache([direct.path], 'k')).toBeUndefined();
    expect(log()).toContain('::warning::Failed to restore: aborted');
    expect(existsSync(direct.path)).toBe(false);
  });

  it('a corrupted archive fails to extract: a warning and a miss, but a partial file is left at the path', async () => {
    const { service, path, write } = await job();
    const data = write(9_000_000);
    await cache.saveCache([path], 'k');
    rmSync(path);
    await service.corrupt('k');

    expect(await cache.restoreCache([path], 'k')).toBeUndefined();

    expect(log()).toContain(
      '::warning::Failed to restore: "/usr/bin/tar" failed with error: The process \'/usr/bin/tar\' failed with exit code 2',
    );
    expect(statSync(path).size).toBeLessThan(data.length);
  });

  it('a slow link slows the restore, and segmentTimeoutInMs gives up on it with a warning', async () => {
    const { service, path, write } = await job({ downloadBytesPerSecond: 2 * MiB });
    const data = write(4 * MiB);
    await cache.saveCache([path], 'k');
    rmSync(path);

    // 4 MiB at 2 MiB/s, less the link's 100 ms burst: never under 1.9 s, however loaded the machine.
    const started = performance.now();
    expect(await cache.restoreCache([path], 'k')).toBe('k');
    expect(performance.now() - started).toBeGreaterThanOrEqual(1800);
    expect(readFileSync(path).equals(data)).toBe(true);

    rmSync(path);
    service.setLink({ downloadBytesPerSecond: 256 * 1024 });
    expect(await cache.restoreCache([path], 'k', [], { segmentTimeoutInMs: 300 })).toBeUndefined();
    expect(log()).toContain(
      '::warning::Failed to restore: Aborting cache download as the download time exceeded the timeout.',
    );
  });
});

describe('the service down', () => {
  it('costs a warning on restore and a line of information on save, at once and without retries', async () => {
    const { sb, service, path, write } = await job();
    write(1000);
    await cache.saveCache([path], 'k');
    await service.down();

    expect(await cache.restoreCache([path], 'k')).toBeUndefined();
    expect(await cache.saveCache([path], 'other')).toBe(-1);

    expect(log()).toContainEqual(
      expect.stringMatching(
        /^::warning::Failed to restore: Failed to GetCacheEntryDownloadURL: Unable to make request: ECONNREFUSED/,
      ),
    );
    expect(log()).toContain(
      'Failed to save: Unable to reserve cache with key other, another job may be creating this cache.',
    );
    expect(sb.callsTo('GetCacheEntryDownloadURL', 'actions-cache')).toHaveLength(0);
    expect(log().filter((l) => l.includes('Retrying request'))).toEqual([]);

    await service.up();
    expect(await cache.restoreCache([path], 'k')).toBe('k');
  });
});
