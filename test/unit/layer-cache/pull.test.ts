import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { HttpClient } from '../../../src/actions/layer-cache/http.ts';
import { type PullDeps, pullImages, totals } from '../../../src/actions/layer-cache/pull.ts';
import { RegistryClient } from '../../../src/actions/layer-cache/registry-client.ts';
import { BlobStore } from '../../../src/actions/layer-cache/store.ts';
import { type ImageRef, parseImageRef } from '../../../src/lib/image-ref.ts';
import { type MemoryLog, memoryLog } from '../../../src/lib/log.ts';
import { digestOf, directHttp, FakeRegistry, makeImage, makeIndex } from './fake-registry.ts';

let dir: string;
let registry: FakeRegistry;
let log: MemoryLog;
let http: HttpClient;

beforeEach(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'layer-cache-pull-'));
  registry = await new FakeRegistry().start();
  log = memoryLog();
  http = directHttp();
});

afterEach(async () => {
  await http.close();
  await registry.stop();
  rmSync(dir, { recursive: true, force: true });
});

function image(text: string) {
  return { text, ref: parseImageRef(text) as ImageRef };
}

async function pull(texts: string[], overrides: Partial<PullDeps> = {}) {
  const store = await BlobStore.open(path.join(dir, 'store'));
  const client = new RegistryClient({
    host: registry.host,
    http,
    auth: { mask: () => {} },
    sleep: async () => {},
  });
  return pullImages(texts.map(image), {
    store,
    client: () => client,
    platform: { os: 'linux', architecture: 'amd64' },
    concurrency: 4,
    log,
    ...overrides,
  });
}

describe('pulling into the store', () => {
  it('a cold pull fetches every blob from the registry', async () => {
    const app = makeImage([1000, 2000, 3000]);
    registry.push('app', 'v1', app);

    const [pulled] = await pull([`${registry.host}/app:v1`]);

    expect(pulled!.digest).toBe(app.digest);
    expect(pulled!.blobs.map((b) => b.source)).toEqual([
      'registry',
      'registry',
      'registry',
      'registry',
    ]);
    expect(totals([pulled!])).toMatchObject({
      layersTotal: 3,
      layersFromRegistry: 3,
      bytesFromRegistry: 6000 + app.config.length,
      cacheHit: 'none',
    });
  });

  it('an unchanged image costs one manifest GET and no blob request', async () => {
    registry.push('app', 'v1', makeImage([1000, 2000]));
    await pull([`${registry.host}/app:v1`]);
    registry.requests.length = 0;

    const [pulled] = await pull([`${registry.host}/app:v1`]);

    expect(registry.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'GET /v2/app/manifests/v1',
    ]);
    expect(totals([pulled!])).toMatchObject({
      cacheHit: 'full',
      bytesFromRegistry: 0,
      layersFromCache: 2,
    });
  });

  it('a moved tag costs one manifest GET before its new blobs, not a HEAD and then a GET', async () => {
    registry.push('app', 'v1', makeImage([1000, 2000], 'old'));
    await pull([`${registry.host}/app:v1`]);
    const moved = makeImage([1000, 2000], 'new');
    registry.push('app', 'v1', moved);
    registry.requests.length = 0;

    const [pulled] = await pull([`${registry.host}/app:v1`]);

    expect(pulled!.digest).toBe(moved.digest);
    expect(registry.requests.filter((r) => r.path.includes('/manifests/'))).toMatchObject([
      { method: 'GET', path: '/v2/app/manifests/v1' },
    ]);
  });

  it('on Docker Hub a tag seen before is checked with a HEAD, which its pull limit does not count', async () => {
    registry.push('library/app', 'v1', makeImage([1000, 2000]));
    await pull(['app:v1']);
    registry.requests.length = 0;

    const [unchanged] = await pull(['app:v1']);
    expect(registry.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'HEAD /v2/library/app/manifests/v1',
    ]);
    expect(unchanged!.blobs.every((b) => b.source === 'store')).toBe(true);

    const moved = makeImage([1000, 2000], 'moved');
    registry.push('library/app', 'v1', moved);
    registry.requests.length = 0;
    const [pulled] = await pull(['app:v1']);
    expect(pulled!.digest).toBe(moved.digest);
    expect(registry.requests.filter((r) => r.path.includes('/manifests/'))).toMatchObject([
      { method: 'HEAD', path: '/v2/library/app/manifests/v1' },
      { method: 'GET', path: `/v2/library/app/manifests/${moved.digest}` },
    ]);
  });

  it('after one layer changed, only that layer (and the new config) is fetched', async () => {
    const v1 = makeImage([1000, 2000, 3000], 'base');
    registry.push('app', 'latest', v1);
    await pull([`${registry.host}/app:latest`]);
    const v2 = makeImage([1000, 2000, 3000], 'base');
    v2.layers[2] = Buffer.alloc(3000, 7);
    v2.config = Buffer.from('{"architecture":"amd64","os":"linux","rootfs":"changed"}');
    const rebuilt = makeImageFrom(v2);
    registry.push('app', 'latest', rebuilt);
    registry.requests.length = 0;

    const [pulled] = await pull([`${registry.host}/app:latest`]);

    const fetched = registry.blobGets().map((r) => r.path.split('/').pop());
    expect(fetched.sort()).toEqual([digestOf(rebuilt.config), digestOf(rebuilt.layers[2]!)].sort());
    expect(pulled!.previousDigest).toBe(v1.digest);
    expect(totals([pulled!]).cacheHit).toBe('partial');
  });

  it('a base layer shared by two images is fetched once', async () => {
    const a = makeImage([5000, 100], 'a');
    const b = makeImage([5000, 200], 'b');
    b.layers[0] = a.layers[0]!;
    const b2 = makeImageFrom(b);
    registry.push('a', 'v1', a);
    registry.push('b', 'v1', b2);

    const images = await pull([`${registry.host}/a:v1`, `${registry.host}/b:v1`]);

    const base = digestOf(a.layers[0]!);
    expect(registry.blobGets().filter((r) => r.path.endsWith(base))).toHaveLength(1);
    expect(totals(images).layersTotal).toBe(3);
  });

  it('a digest reference whose manifest is stored needs no request at all', async () => {
    const app = makeImage([1000]);
    registry.push('app', 'v1', app);
    await pull([`${registry.host}/app@${app.digest}`]);
    registry.requests.length = 0;

    await pull([`${registry.host}/app@${app.digest}`]);

    expect(registry.requests).toEqual([]);
  });

  it('a blob corrupted in the store is detected and fetched again', async () => {
    const app = makeImage([4000]);
    registry.push('app', 'v1', app);
    await pull([`${registry.host}/app:v1`]);
    const store = await BlobStore.open(path.join(dir, 'store'));
    const layer = digestOf(app.layers[0]!);
    const bad = Buffer.from(app.layers[0]!);
    bad[0] = bad[0]! ^ 1;
    writeFileSync(store.pathOf(layer), bad);
    registry.requests.length = 0;

    const [pulled] = await pull([`${registry.host}/app:v1`]);

    expect(registry.blobGets().map((r) => r.path)).toEqual([`/v2/app/blobs/${layer}`]);
    expect(pulled!.blobs.find((b) => b.digest === layer)?.source).toBe('registry');
    expect(await store.check(layer, 4000)).toBe('ok');
    expect(log.lines.join('\n')).toContain(`${layer} in the local store did not match`);
  });
});

describe('multi-platform images', () => {
  it('picks the wanted platform from the index and skips the attestation', async () => {
    const amd64 = makeImage([100], 'amd64');
    const arm64 = makeImage([200], 'arm64');
    registry.pushIndex('app', 'v1', makeIndex({ 'linux/amd64': amd64, 'linux/arm64/v8': arm64 }), [
      amd64,
      arm64,
    ]);

    const [pulled] = await pull([`${registry.host}/app:v1`], {
      platform: { os: 'linux', architecture: 'arm64' },
    });

    expect(pulled!.manifest.digest).toBe(arm64.digest);
    expect(pulled!.layers.map((l) => l.digest)).toEqual([digestOf(arm64.layers[0]!)]);
    expect(registry.blobGets().some((r) => r.path.endsWith(digestOf(amd64.layers[0]!)))).toBe(
      false,
    );
  });

  it('a platform not in the index fails naming the image and the platforms there are', async () => {
    const amd64 = makeImage([100], 'amd64');
    registry.pushIndex('app', 'v1', makeIndex({ 'linux/amd64': amd64 }), [amd64]);

    await expect(
      pull([`${registry.host}/app:v1`], { platform: { os: 'linux', architecture: 's390x' } }),
    ).rejects.toThrow(
      `${registry.host}/app:v1: resolving the manifest: platform linux/s390x is not in the image index (available: linux/amd64)`,
    );
  });

  it('a failed pull has finished its store writes when it reports the failure', async () => {
    const amd64 = makeImage([100], 'amd64');
    const index = makeIndex({ 'linux/amd64': amd64 });
    registry.pushIndex('app', 'v1', index, [amd64]);

    await expect(
      pull([`${registry.host}/app:v1`], { platform: { os: 'linux', architecture: 's390x' } }),
    ).rejects.toThrow(/not in the image index/);

    // The index was stored while the platform was looked for; nothing is left running that a
    // caller cleaning up the store could break.
    const store = new BlobStore(path.join(dir, 'store'));
    expect(await store.readVerified(digestOf(index))).toBeDefined();
    expect(readdirSync(path.join(dir, 'store', 'tmp'))).toEqual([]);
  });
});

describe('failures name the image and the step', () => {
  it('a tag that does not exist', async () => {
    await expect(pull([`${registry.host}/app:nope`])).rejects.toThrow(
      `${registry.host}/app:nope: resolving the manifest: manifest not found (HTTP 404)`,
    );
  });

  it('a blob the registry keeps sending wrong', async () => {
    const app = makeImage([3000]);
    registry.push('app', 'v1', app);
    const layer = digestOf(app.layers[0]!);
    registry.corrupt.set(layer, Buffer.alloc(3000));

    await expect(pull([`${registry.host}/app:v1`])).rejects.toThrow(
      new RegExp(
        `app:v1: fetching layer 1 ${layer}: digest mismatch after all sources \\(the registry\\)`,
      ),
    );
    expect(registry.blobGets().filter((r) => r.path.endsWith(layer))).toHaveLength(2);
  });

  it('several failing images are all reported', async () => {
    await expect(pull([`${registry.host}/a:x`, `${registry.host}/b:y`])).rejects.toThrow(
      /2 images failed: .*a:x: .*; .*b:y: /,
    );
  });
});

/** Rebuilds an image's manifest after its layers were replaced. */
function makeImageFrom(image: ReturnType<typeof makeImage>) {
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: {
        mediaType: 'application/vnd.oci.image.config.v1+json',
        digest: digestOf(image.config),
        size: image.config.length,
      },
      layers: image.layers.map((l) => ({
        mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
        digest: digestOf(l),
        size: l.length,
      })),
    }),
  );
  return { ...image, manifest, digest: digestOf(manifest) };
}
