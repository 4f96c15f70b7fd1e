import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Registry, startRegistry } from '../../sandbox/registry.ts';
import {
  blobRequests,
  checkLayout,
  manifestRequests,
  publish,
  runLayerCache,
  skopeo,
  tempDir,
} from './helpers.ts';

let registry: Registry;

beforeAll(async () => {
  registry = await startRegistry();
});

afterAll(async () => {
  await registry?.stop();
});

beforeEach(() => {
  registry.faults.clear();
  registry.resetRequests();
});

const layers = (seeds: Array<string | number>, size = 400_000) =>
  seeds.map((seed) => ({ size, seed }));

describe('layer-cache against a real registry', () => {
  it('a cold pull of a multi-platform image writes a layout that skopeo reads back', async () => {
    const image = await publish(registry, 'multi', 'v1', {
      layers: layers(['base', 'deps', 'app']),
      platforms: [
        { os: 'linux', architecture: 'amd64' },
        { os: 'linux', architecture: 'arm64', variant: 'v8' },
      ],
    });
    const amd64 = image.platforms[0]!;
    const ref = `${registry.host}/multi:v1`;

    const result = await runLayerCache({ images: ref, 'cache-dir': tempDir('store') });

    expect(result.errors).toEqual([]);
    expect(result.exitCode).toBe(0);
    expect(JSON.parse(result.outputs.digests!)).toEqual({ [ref]: image.pushedDigest });
    expect(result.outputs).toMatchObject({
      'layers-total': '3',
      'layers-from-registry': '3',
      'layers-from-cache': '0',
      'cache-hit': 'none',
      'bytes-from-registry': String(
        amd64.config.size + amd64.layers.reduce((n, l) => n + l.size, 0),
      ),
    });
    const fetched = blobRequests(registry)
      .map((r) => path.basename(r.path))
      .sort();
    expect(fetched).toEqual([amd64.config.digest, ...amd64.layers.map((l) => l.digest)].sort());

    const layout = checkLayout(result.outputs['oci-dir']!);
    expect(layout.index.manifests.map((m) => m.digest)).toEqual([amd64.digest]);
    expect(layout.dockerManifest[0]!.RepoTags).toEqual([ref]);

    await skopeo([
      'copy',
      '--quiet',
      '--dest-tls-verify=false',
      `oci:${result.outputs['oci-dir']}`,
      `docker://${registry.upstream}/readback:v1`,
    ]);
    const inspected = JSON.parse(
      await skopeo([
        'inspect',
        '--raw',
        '--tls-verify=false',
        `docker://${registry.upstream}/readback:v1`,
      ]),
    ) as { layers: Array<{ digest: string }> };
    expect(inspected.layers.map((l) => l.digest)).toEqual(amd64.layers.map((l) => l.digest));
    expect(result.summary).toContain(`| \`${ref}\` |`);
    expect(result.summary).toContain('0 / 0 / 3');
  });

  it('an unchanged image is served from the store after a single manifest GET, with no blob request', async () => {
    await publish(registry, 'warm', 'v1', { layers: layers(['w1', 'w2', 'w3', 'w4']) });
    const store = tempDir('store');
    const ref = `${registry.host}/warm:v1`;
    await runLayerCache({ images: ref, 'cache-dir': store });
    registry.resetRequests();

    const result = await runLayerCache({ images: ref, 'cache-dir': store });

    expect(result.exitCode).toBe(0);
    expect(blobRequests(registry)).toEqual([]);
    expect(registry.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'GET /v2/warm/manifests/v1',
    ]);
    expect(result.outputs).toMatchObject({
      'cache-hit': 'full',
      'layers-from-cache': '4',
      'layers-from-registry': '0',
      'bytes-from-registry': '0',
    });
    checkLayout(result.outputs['oci-dir']!);
  });

  it('after one layer changed, only that layer and the new config are fetched', async () => {
    await publish(registry, 'changed', 'latest', { layers: layers(['c1', 'c2', 'c3']) });
    const store = tempDir('store');
    const ref = `${registry.host}/changed:latest`;
    await runLayerCache({ images: ref, 'cache-dir': store });
    const v2 = await publish(registry, 'changed', 'latest', {
      layers: layers(['c1', 'c2', 'c3-new']),
    });
    registry.resetRequests();

    const result = await runLayerCache({ images: ref, 'cache-dir': store });

    expect(result.exitCode).toBe(0);
    const fetched = blobRequests(registry)
      .map((r) => path.basename(r.path))
      .sort();
    expect(fetched).toEqual([v2.config.digest, v2.layers[2]!.digest].sort());
    expect(result.outputs).toMatchObject({
      'cache-hit': 'partial',
      'layers-from-cache': '2',
      'layers-from-registry': '1',
    });
    expect(JSON.parse(result.outputs.digests!)[ref]).toBe(v2.pushedDigest);
    checkLayout(result.outputs['oci-dir']!);
  });

  it('a blob corrupted in the store is detected, fetched again, and the layout verifies', async () => {
    const image = await publish(registry, 'corrupt', 'v1', { layers: layers(['k1', 'k2']) });
    const store = tempDir('store');
    const ref = `${registry.host}/corrupt:v1`;
    await runLayerCache({ images: ref, 'cache-dir': store });
    const victim = image.layers[1]!;
    const file = path.join(store, 'sha256', victim.digest.slice(7));
    const bytes = readFileSync(file);
    bytes[1000] = bytes[1000]! ^ 0xff;
    writeFileSync(file, bytes);
    registry.resetRequests();

    const result = await runLayerCache({ images: ref, 'cache-dir': store });

    expect(result.exitCode).toBe(0);
    expect(blobRequests(registry).map((r) => path.basename(r.path))).toEqual([victim.digest]);
    expect(result.warnings.join('\n')).toContain(
      `${victim.digest} in the local store did not match`,
    );
    expect(result.outputs['layers-from-registry']).toBe('1');
    checkLayout(result.outputs['oci-dir']!);
  });

  it('a download cut short is resumed with Range and the layout verifies', async () => {
    const image = await publish(registry, 'truncated', 'v1', {
      layers: layers(['t1', 't2'], 1_500_000),
    });
    const victim = image.layers[0]!;
    registry.faults.truncateBlob(victim.digest, 600_000);

    const result = await runLayerCache({
      images: `${registry.host}/truncated:v1`,
      'cache-dir': tempDir('store'),
    });

    expect(result.errors).toEqual([]);
    const forVictim = blobRequests(registry).filter((r) => r.path.endsWith(victim.digest));
    // Each answer stops at 600 kB, so the rest comes in ranges from where the last one broke.
    expect(forVictim[0]!.status).toBe(200);
    expect(forVictim.length).toBeGreaterThanOrEqual(3);
    expect(forVictim.slice(1).every((r) => r.status === 206)).toBe(true);
    expect(result.log).toMatch(new RegExp(`${victim.digest}: resumed \\d+ time\\(s\\)`));
    checkLayout(result.outputs['oci-dir']!);
  });

  it('a blob the registry keeps corrupting fails the step naming the image and the layer', async () => {
    const image = await publish(registry, 'badblob', 'v1', { layers: layers(['b1', 'b2']) });
    const victim = image.layers[1]!;
    registry.faults.corruptBlob(victim.digest);
    const ref = `${registry.host}/badblob:v1`;

    const result = await runLayerCache({ images: ref, 'cache-dir': tempDir('store') });

    expect(result.exitCode).toBe(1);
    expect(result.errors).toEqual([
      expect.stringMatching(
        new RegExp(
          `^${ref}: fetching layer 2 ${victim.digest}: digest mismatch after all sources \\(the registry\\)`,
        ),
      ),
    ]);
  });

  it('follows blob redirects to storage that refuses the registry credentials', async () => {
    const image = await publish(registry, 'redirected', 'v1', { layers: layers(['r1']) });
    registry.faults.redirectBlobs(true);

    const result = await runLayerCache({
      images: `${registry.host}/redirected:v1`,
      'cache-dir': tempDir('store'),
    });

    expect(result.errors).toEqual([]);
    const storage = registry.requests.filter((r) => r.via === 'storage');
    expect(storage.map((r) => r.status).sort()).toEqual([200, 200]);
    expect(storage.map((r) => decodeURIComponent(path.basename(r.path))).sort()).toEqual(
      [image.config.digest, image.layers[0]!.digest].sort(),
    );
  });

  it('a platform missing from the index fails with the platforms that are there', async () => {
    await publish(registry, 'armonly', 'v1', {
      layers: layers(['p1']),
      platforms: [{ os: 'linux', architecture: 'arm64' }],
    });
    const ref = `${registry.host}/armonly:v1`;

    const result = await runLayerCache({
      images: ref,
      platform: 'linux/amd64',
      'cache-dir': tempDir('store'),
    });

    expect(result.exitCode).toBe(1);
    expect(result.errors).toEqual([
      `${ref}: resolving the manifest: platform linux/amd64 is not in the image index (available: linux/arm64)`,
    ]);
    expect(blobRequests(registry)).toEqual([]);
  });

  it('a tag that does not exist fails naming the image', async () => {
    const ref = `${registry.host}/nothing:here`;
    const result = await runLayerCache({ images: ref, 'cache-dir': tempDir('store') });
    expect(result.errors).toEqual([
      `${ref}: resolving the manifest: manifest not found (HTTP 404)`,
    ]);
  });

  it('two images sharing base layers store them once; output none writes no layout', async () => {
    const a = await publish(registry, 'svc-a', 'v1', {
      layers: layers(['shared-1', 'shared-2', 'a-only']),
    });
    const b = await publish(registry, 'svc-b', 'v1', {
      layers: layers(['shared-1', 'shared-2', 'b-only']),
    });

    const result = await runLayerCache({
      images: `${registry.host}/svc-a:v1\n${registry.host}/svc-b:v1`,
      output: 'none',
      'cache-dir': tempDir('store'),
    });

    expect(result.exitCode).toBe(0);
    expect(result.outputs['layers-total']).toBe('4');
    const shared = a.layers[0]!.digest;
    expect(b.layers[0]!.digest).toBe(shared);
    expect(blobRequests(registry).filter((r) => r.path.endsWith(shared))).toHaveLength(1);
    expect(result.outputs['oci-dir']).toBe('');
    expect(manifestRequests(registry).length).toBe(2);
  });

  it('keeps the store within max-size, evicting what was used longest ago', async () => {
    const old = await publish(registry, 'old', 'v1', {
      layers: layers(['old-1', 'old-2'], 300_000),
    });
    await publish(registry, 'new', 'v1', { layers: layers(['new-1', 'new-2'], 300_000) });
    const store = tempDir('store');
    await runLayerCache({ images: `${registry.host}/old:v1`, output: 'none', 'cache-dir': store });

    const result = await runLayerCache({
      images: `${registry.host}/new:v1`,
      output: 'none',
      'cache-dir': store,
      'max-size': '700kB',
    });

    expect(result.exitCode).toBe(0);
    expect(result.summary).toMatch(/least recently used blobs evicted/);
    registry.resetRequests();
    const again = await runLayerCache({
      images: `${registry.host}/old:v1`,
      output: 'none',
      'cache-dir': store,
    });
    expect(blobRequests(registry).map((r) => path.basename(r.path))).toEqual(
      expect.arrayContaining(old.layers.map((l) => l.digest)),
    );
    expect(again.outputs['cache-hit']).not.toBe('full');
  });
});
