import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as cache from '@actions/cache';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  ActionsBlobCache,
  cacheKey,
  stagingPath,
} from '../../../src/actions/layer-cache/actions-cache.ts';
import type { HttpClient } from '../../../src/actions/layer-cache/http.ts';
import { pullImages } from '../../../src/actions/layer-cache/pull.ts';
import { RegistryClient } from '../../../src/actions/layer-cache/registry-client.ts';
import { BlobStore } from '../../../src/actions/layer-cache/store.ts';
import { type ImageRef, parseImageRef } from '../../../src/lib/image-ref.ts';
import { type MemoryLog, memoryLog } from '../../../src/lib/log.ts';
import { digestOf, directHttp, FakeRegistry, makeImage } from './fake-registry.ts';

vi.mock('@actions/cache', () => ({
  isFeatureAvailable: vi.fn(() => true),
  restoreCache: vi.fn(),
  saveCache: vi.fn(),
}));

/** Entries of the pretend Actions cache: key → file content. */
let entries: Map<string, Buffer>;
let saved: Array<{ paths: string[]; key: string; content: Buffer }>;
let dir: string;
let staging: string;
let store: BlobStore;
let registry: FakeRegistry;
let client: RegistryClient;
let log: MemoryLog;
let http: HttpClient;

beforeEach(async () => {
  entries = new Map();
  saved = [];
  log = memoryLog();
  http = directHttp();
  dir = mkdtempSync(path.join(tmpdir(), 'layer-cache-ac-'));
  staging = path.join(dir, 'runner-temp', 'fargate-delivery-layer-cache');
  store = await BlobStore.open(path.join(dir, 'store'));
  registry = await new FakeRegistry().start();
  client = new RegistryClient({
    host: registry.host,
    http,
    auth: { mask: () => {} },
    sleep: async () => {},
  });
  vi.mocked(cache.restoreCache).mockImplementation(async (paths, key) => {
    const content = entries.get(key);
    if (!content) return undefined;
    mkdirSync(path.dirname(paths[0]!), { recursive: true });
    writeFileSync(paths[0]!, content);
    return key;
  });
  vi.mocked(cache.saveCache).mockImplementation(async (paths, key) => {
    saved.push({ paths, key, content: readFileSync(paths[0]!) });
    return 1;
  });
});

afterEach(async () => {
  await http.close();
  await registry.stop();
  rmSync(dir, { recursive: true, force: true });
  vi.clearAllMocks();
});

function actionsCache() {
  return new ActionsBlobCache({ stagingRoot: staging, log });
}

function pull(text: string) {
  return pullImages([{ text, ref: parseImageRef(text) as ImageRef }], {
    store,
    client: () => client,
    actionsCache: actionsCache(),
    platform: { os: 'linux', architecture: 'amd64' },
    concurrency: 4,
    log,
  });
}

describe('the Actions cache as a blob source', () => {
  it('a blob missing locally comes from its Actions cache entry, not the registry', async () => {
    const app = makeImage([5000, 6000]);
    registry.push('app', 'v1', app);
    const layer = app.layers[0]!;
    entries.set(cacheKey(digestOf(layer)), layer);

    const [pulled] = await pull(`${registry.host}/app:v1`);

    expect(pulled!.blobs.find((b) => b.digest === digestOf(layer))?.source).toBe('actions-cache');
    expect(registry.blobGets().some((r) => r.path.endsWith(digestOf(layer)))).toBe(false);
    expect(await store.check(digestOf(layer), layer.length)).toBe('ok');
    expect(cache.restoreCache).toHaveBeenCalledWith(
      [stagingPath(staging, digestOf(layer))],
      `fargate-delivery-layer-cache-sha256-${digestOf(layer).slice(7)}`,
    );
  });

  it('an entry whose content does not hash to its key is ignored and the blob fetched from the registry', async () => {
    const app = makeImage([5000]);
    registry.push('app', 'v1', app);
    const layer = app.layers[0]!;
    entries.set(cacheKey(digestOf(layer)), Buffer.alloc(5000, 1));

    const [pulled] = await pull(`${registry.host}/app:v1`);

    expect(pulled!.blobs.find((b) => b.digest === digestOf(layer))?.source).toBe('registry');
    expect(readFileSync(store.pathOf(digestOf(layer))).equals(layer)).toBe(true);
    expect(log.lines.join('\n')).toMatch(/does not hash to .*fetching from the registry/);
    expect(existsSync(stagingPath(staging, digestOf(layer)))).toBe(false);
  });

  it('a failing cache service is a miss, not a failed pull', async () => {
    const app = makeImage([1000]);
    registry.push('app', 'v1', app);
    vi.mocked(cache.restoreCache).mockRejectedValue(new Error('cache service unavailable'));

    const [pulled] = await pull(`${registry.host}/app:v1`);

    expect(pulled!.blobs.every((b) => b.source === 'registry')).toBe(true);
  });

  it('is not asked for blobs the local store already has', async () => {
    const app = makeImage([1000]);
    registry.push('app', 'v1', app);
    await pull(`${registry.host}/app:v1`);
    vi.mocked(cache.restoreCache).mockClear();

    await pull(`${registry.host}/app:v1`);

    expect(cache.restoreCache).not.toHaveBeenCalled();
  });
});

describe('saving blobs to the Actions cache', () => {
  it('saves one entry per blob, keyed by digest, from the path a restore reads', async () => {
    const content = Buffer.from('a layer fetched from the registry');
    const digest = digestOf(content);
    await store.putBytes(digest, content);

    expect(await actionsCache().save(store, digest)).toBe(true);

    expect(saved).toEqual([
      { paths: [stagingPath(staging, digest)], key: cacheKey(digest), content },
    ]);
    expect(existsSync(stagingPath(staging, digest))).toBe(false);
  });

  it('reports a blob the library could not save (an entry that already exists)', async () => {
    const content = Buffer.from('shared base layer');
    const digest = digestOf(content);
    await store.putBytes(digest, content);
    vi.mocked(cache.saveCache).mockResolvedValue(-1);

    expect(await actionsCache().save(store, digest)).toBe(false);
  });

  it('saves the blobs a run fetched, but not one whose file changed since', async () => {
    const good = Buffer.from('fetched layer');
    const changed = Buffer.from('fetched layer, later edited through the output layout');
    for (const content of [good, changed]) await store.putBytes(digestOf(content), content);
    writeFileSync(store.pathOf(digestOf(changed)), 'edited');

    const result = await actionsCache().saveAll(store, [
      { digest: digestOf(good), size: good.length },
      { digest: digestOf(changed), size: changed.length },
    ]);

    expect(result).toEqual({ saved: 1, bytes: good.length });
    expect(saved.map((s) => s.key)).toEqual([cacheKey(digestOf(good))]);
    expect(log.lines.join('\n')).toContain(`${digestOf(changed)} changed in the local store`);
  });

  it('a restore after a save finds the same entry', async () => {
    const content = Buffer.from('round trip');
    const digest = digestOf(content);
    await store.putBytes(digest, content);
    await actionsCache().save(store, digest);
    for (const s of saved) entries.set(s.key, s.content);
    const other = await BlobStore.open(path.join(dir, 'other-runner'));

    expect(await actionsCache().restore(other, digest, content.length)).toBe('restored');
    expect(readFileSync(other.pathOf(digest)).equals(content)).toBe(true);
  });
});
