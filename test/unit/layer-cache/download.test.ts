import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  BlobDownload,
  DigestMismatchError,
  DownloadFailedError,
} from '../../../src/actions/layer-cache/download.ts';
import type { HttpClient } from '../../../src/actions/layer-cache/http.ts';
import { RegistryClient } from '../../../src/actions/layer-cache/registry-client.ts';
import { memoryLog } from '../../../src/lib/log.ts';
import { digestOf, directHttp, FakeRegistry, makeImage } from './fake-registry.ts';

let dir: string;
let registry: FakeRegistry;
let http: HttpClient;

beforeEach(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'layer-cache-download-'));
  registry = await new FakeRegistry().start();
});

afterEach(async () => {
  await http?.destroy();
  await registry.stop();
  rmSync(dir, { recursive: true, force: true });
});

function registryClient(idleTimeoutMs = 5000) {
  http = directHttp(idleTimeoutMs);
  const log = memoryLog();
  const client = new RegistryClient({
    host: registry.host,
    http,
    auth: { mask: () => {} },
    sleep: async () => {},
    log,
  });
  return { client, log };
}

function pushLayer(size: number) {
  const image = makeImage([size]);
  registry.push('app', 'v1', image);
  const layer = image.layers[0]!;
  return { layer, digest: digestOf(layer) };
}

describe('a blob download', () => {
  it('streams a blob many times the write batch to disk intact, in one request', async () => {
    const { layer, digest } = pushLayer(9 * 1024 * 1024 + 123);
    const dest = path.join(dir, 'blob');

    const result = await registryClient().client.downloadBlob('app', digest, layer.length, dest);

    expect(readFileSync(dest).equals(layer)).toBe(true);
    expect(result).toEqual({ transferred: layer.length, resumes: 0 });
    expect(registry.blobGets()).toHaveLength(1);
  });

  it('resumes with Range where a registry that went quiet left off, after the idle timeout', async () => {
    const { layer, digest } = pushLayer(200_000);
    registry.stallAfter.set(digest, 70_000);
    const dest = path.join(dir, 'blob');
    const { client, log } = registryClient(300);

    const result = await client.downloadBlob('app', digest, layer.length, dest);

    expect(readFileSync(dest).equals(layer)).toBe(true);
    expect(result.resumes).toBe(1);
    expect(registry.blobGets().map((g) => g.range)).toEqual([undefined, 'bytes=70000-']);
    expect(log.lines.join('\n')).toMatch(/timeout.*resuming at byte 70000/i);
  });

  it('fails, naming the file, when the disk refuses a write', async () => {
    const { layer, digest } = pushLayer(300_000);

    const failure = registryClient().client.downloadBlob('app', digest, layer.length, '/dev/full');

    await expect(failure).rejects.toThrow(DownloadFailedError);
    await expect(failure).rejects.toThrow(/^writing \/dev\/full: .*ENOSPC/);
  });

  it('refuses a body longer than the manifest says the blob is', async () => {
    const { layer, digest } = pushLayer(50_000);

    await expect(
      registryClient().client.downloadBlob('app', digest, 40_000, path.join(dir, 'blob')),
    ).rejects.toThrow(
      new DigestMismatchError('received more than the 40000 bytes the manifest lists'),
    );
    expect(layer.length).toBe(50_000);
  });

  it('resumes a body that broke before anything read it', async () => {
    const { layer, digest } = pushLayer(150_000);
    registry.dropAfter.set(digest, 60_000);
    http = directHttp();
    const url = new URL(`http://${registry.host}/v2/app/blobs/${digest}`);
    const dest = path.join(dir, 'blob');
    let answers = 0;

    const result = await new BlobDownload({
      digest,
      size: layer.length,
      dest,
      maxResumes: 3,
      sleep: async () => {},
      isFatal: () => false,
      fetch: async (start) => {
        const res = await http.request(url, {
          method: 'GET',
          headers: start > 0 ? { range: `bytes=${start}-` } : {},
        });
        // The first answer is handed over only once its connection has been cut (and the
        // client has had time to hear it).
        if (answers++ === 0) {
          while (registry.cuts === 0) await setTimeout(5);
          await setTimeout(200);
        }
        const range = /^bytes (\d+)-/.exec(res.headers['content-range'] ?? '');
        return { res, offset: range ? Number(range[1]) : 0 };
      },
    }).run();

    // What arrived before the cut is kept: the second request asks for the rest only.
    expect(readFileSync(dest).equals(layer)).toBe(true);
    expect(result.resumes).toBe(1);
    const [first, second] = registry.blobGets();
    expect(first!.range).toBeUndefined();
    expect(Number(/^bytes=(\d+)-$/.exec(second!.range ?? '')?.[1])).toBeGreaterThan(0);
  });
});
