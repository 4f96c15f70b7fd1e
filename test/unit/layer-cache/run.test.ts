import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as cache from '@actions/cache';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { cacheKey } from '../../../src/actions/layer-cache/actions-cache.ts';
import type { HttpClient } from '../../../src/actions/layer-cache/http.ts';
import type { LayerCacheInputs } from '../../../src/actions/layer-cache/inputs.ts';
import { OUTPUT } from '../../../src/actions/layer-cache/names.ts';
import { run, runPost } from '../../../src/actions/layer-cache/run.ts';
import { type ImageRef, parseImageRef } from '../../../src/lib/image-ref.ts';
import { type MemoryLog, memoryLog } from '../../../src/lib/log.ts';
import { digestOf, directHttp, FakeRegistry, makeImage } from './fake-registry.ts';

vi.mock('@actions/cache', () => ({
  isFeatureAvailable: vi.fn(() => true),
  restoreCache: vi.fn(async () => undefined),
  saveCache: vi.fn(async () => 1),
}));

let dir: string;
let registry: FakeRegistry;
let http: HttpClient;
let log: MemoryLog;

beforeEach(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'layer-cache-run-'));
  registry = await new FakeRegistry({ auth: 'basic', username: 'ci', password: 'pw' }).start();
  http = directHttp();
  log = memoryLog();
});

afterEach(async () => {
  await http.destroy();
  await registry.stop();
  rmSync(dir, { recursive: true, force: true });
  vi.clearAllMocks();
});

function inputs(overrides: Partial<LayerCacheInputs> = {}): LayerCacheInputs {
  const text = `${registry.host}/app:v1`;
  return {
    images: [{ text, ref: parseImageRef(text) as ImageRef }],
    platform: { os: 'linux', architecture: 'amd64' },
    cacheDir: path.join(dir, 'store'),
    actionsCache: false,
    output: 'oci',
    ociDir: path.join(dir, 'oci'),
    credentials: { username: 'ci', password: 'pw' },
    concurrency: 4,
    maxSize: 1e9,
    aws: {},
    ...overrides,
  };
}

function deps(masked: string[] = []) {
  return { log, mask: (s: string) => masked.push(s), tempDir: path.join(dir, 'temp'), http };
}

describe('run', () => {
  it('a cold pull says every output by its action.yml name; a warm one is a full hit', async () => {
    const app = makeImage([3000, 4000]);
    registry.push('app', 'v1', app);
    const masked: string[] = [];

    const cold = await run(inputs(), deps(masked));
    const warm = await run(inputs(), deps());

    const ref = `${registry.host}/app:v1`;
    expect(cold.outputs).toEqual({
      [OUTPUT.digests]: JSON.stringify({ [ref]: app.digest }),
      [OUTPUT.layersTotal]: 2,
      [OUTPUT.layersFromCache]: 0,
      [OUTPUT.layersFromRegistry]: 2,
      [OUTPUT.bytesFromCache]: 0,
      [OUTPUT.bytesFromRegistry]: 7000 + app.config.length,
      [OUTPUT.cacheHit]: 'none',
      [OUTPUT.ociDir]: path.join(dir, 'oci'),
    });
    expect(warm.outputs).toMatchObject({
      [OUTPUT.layersFromCache]: 2,
      [OUTPUT.bytesFromRegistry]: 0,
      [OUTPUT.cacheHit]: 'full',
    });
    expect(masked).toContain('pw');
    expect(cold.summary).toContain(`| \`${ref}\` |`);
    expect(existsSync(path.join(dir, 'oci', 'index.json'))).toBe(true);
    expect(cold.save).toBeUndefined();
  });

  it('with the Actions cache on, hands post what came from the registry, and post saves it', async () => {
    const app = makeImage([3000]);
    registry.push('app', 'v1', app);

    const result = await run(inputs({ actionsCache: true, output: 'none' }), deps());
    const saved = await runPost(result.save!, { log });

    const fetched = [digestOf(app.config), digestOf(app.layers[0]!)];
    expect(result.save!.blobs.map((b) => b.digest).sort()).toEqual(fetched.sort());
    expect(result.save!.stagingRoot).toBe(path.join(dir, 'temp', 'fargate-delivery-layer-cache'));
    expect(saved.saved).toBe(2);
    expect(
      vi
        .mocked(cache.saveCache)
        .mock.calls.map(([, key]) => key)
        .sort(),
    ).toEqual(fetched.map(cacheKey).sort());
    expect(result.outputs[OUTPUT.ociDir]).toBe('');
  });

  it('fails naming the image when the registry refuses, and leaves no layout behind', async () => {
    registry.push('app', 'v1', makeImage([100]));

    await expect(
      run(inputs({ credentials: { username: 'ci', password: 'wrong' } }), deps()),
    ).rejects.toThrow(
      `${registry.host}/app:v1: resolving the manifest: unauthorized: the registry refused registry-username/registry-password`,
    );
    expect(existsSync(path.join(dir, 'oci', 'index.json'))).toBe(false);
  });
});
