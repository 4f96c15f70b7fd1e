import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildImage,
  type ImageManifest,
  MANIFEST_ACCEPT,
  MEDIA_TYPES,
  pseudoRandomBytes,
  pushImage,
  writeOciLayout,
} from './images.ts';
import { type Registry, startRegistry } from './registry.ts';

const run = promisify(execFile);

function sha256(data: Uint8Array | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

const platforms = [
  { os: 'linux', architecture: 'amd64' },
  { os: 'linux', architecture: 'arm64' },
];

describe('building images', () => {
  it('builds the same digest from the same spec', () => {
    const spec = {
      layers: [
        { size: 10_000, seed: 1 },
        { size: 500, seed: 2 },
      ],
    };
    expect(buildImage(spec).digest).toBe(buildImage(spec).digest);
    expect(buildImage(spec).layers.map((l) => l.digest)).toEqual(
      buildImage(spec).layers.map((l) => l.digest),
    );
  });

  it('changes only the layer whose seed changed', () => {
    const a = buildImage({
      layers: [
        { size: 4_000, seed: 'os' },
        { size: 4_000, seed: 'app-1' },
      ],
    });
    const b = buildImage({
      layers: [
        { size: 4_000, seed: 'os' },
        { size: 4_000, seed: 'app-2' },
      ],
    });
    expect(b.layers[0]?.digest).toBe(a.layers[0]?.digest);
    expect(b.layers[1]?.digest).not.toBe(a.layers[1]?.digest);
    expect(b.digest).not.toBe(a.digest);
  });

  it('writes layers as gzipped tars that tar extracts, with diff_ids of the uncompressed tar', async () => {
    const image = buildImage({ layers: [{ size: 1_234, seed: 'x' }] });
    const layer = image.layers[0] as (typeof image.layers)[number];
    expect(layer.mediaType).toBe(MEDIA_TYPES.ociLayer);
    expect(sha256(layer.data)).toBe(layer.digest);
    const tar = gunzipSync(layer.data);
    expect(sha256(tar)).toBe(layer.diffId);
    const config = JSON.parse(image.config.data.toString());
    expect(config.rootfs).toEqual({ type: 'layers', diff_ids: [layer.diffId] });
    expect(config).toMatchObject({ os: 'linux', architecture: 'amd64' });

    const dir = await mkdtemp(path.join(tmpdir(), 'layer-'));
    try {
      const tarball = path.join(dir, 'layer.tgz');
      await import('node:fs/promises').then((fs) => fs.writeFile(tarball, layer.data));
      const { stdout } = await run('tar', ['-tzvf', tarball]);
      expect(stdout).toMatch(/layer-x\/data\.bin/);
      await run('tar', ['-xzf', tarball, '-C', dir]);
      const content = await readFile(path.join(dir, 'layer-x', 'data.bin'));
      expect(content.equals(pseudoRandomBytes('x', 1_234))).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('describes every blob in the manifest with its real digest and size', () => {
    const image = buildImage({
      layers: [
        { size: 700, seed: 'a' },
        { size: 900, seed: 'b' },
      ],
    });
    const manifest = JSON.parse(image.bytes.toString()) as ImageManifest;
    expect(sha256(image.bytes)).toBe(image.digest);
    expect(manifest.mediaType).toBe(MEDIA_TYPES.ociManifest);
    expect(manifest.config).toEqual({
      mediaType: MEDIA_TYPES.ociConfig,
      digest: image.config.digest,
      size: image.config.data.length,
    });
    expect(manifest.layers.map((l) => [l.digest, l.size])).toEqual(
      image.layers.map((l) => [sha256(l.data), l.data.length]),
    );
    expect(image.size).toBe(image.config.size + image.layers.reduce((s, l) => s + l.size, 0));
  });

  it('uses Docker schema2 media types when asked', () => {
    const image = buildImage({ format: 'docker', layers: [{ size: 10, seed: 'd' }], platforms });
    expect(image.mediaType).toBe(MEDIA_TYPES.dockerList);
    expect(image.manifest.mediaType).toBe(MEDIA_TYPES.dockerManifest);
    expect(image.manifest.config.mediaType).toBe(MEDIA_TYPES.dockerConfig);
    expect(image.layers[0]?.mediaType).toBe(MEDIA_TYPES.dockerLayer);
    expect(image.attestations).toEqual([]);
  });

  it('builds a multi-platform index with an attestation manifest per image', () => {
    const image = buildImage({ layers: [{ size: 100, seed: 'm' }], platforms });
    expect(image.mediaType).toBe(MEDIA_TYPES.ociIndex);
    expect(sha256(image.bytes)).toBe(image.digest);
    const entries = image.index?.manifests ?? [];
    expect(entries.map((e) => `${e.platform?.os}/${e.platform?.architecture}`)).toEqual([
      'linux/amd64',
      'linux/arm64',
      'unknown/unknown',
      'unknown/unknown',
    ]);
    const [amd64, arm64] = image.platforms;
    const children = [...image.platforms, ...image.attestations];
    expect(entries.map((e) => [e.digest, e.size])).toEqual(
      children.map((c) => [sha256(c.bytes), c.bytes.length]),
    );
    expect(amd64?.layers[0]?.digest).not.toBe(arm64?.layers[0]?.digest);
    expect(JSON.parse(arm64?.config.data.toString() ?? '{}').architecture).toBe('arm64');
    expect(entries[2]?.annotations).toEqual({
      'vnd.docker.reference.digest': amd64?.digest,
      'vnd.docker.reference.type': 'attestation-manifest',
    });
    expect(image.attestations[0]?.layers[0]?.mediaType).toBe(MEDIA_TYPES.inToto);
  });
});

describe('pushing and exporting images', () => {
  let registry: Registry;
  let dir: string;

  beforeAll(async () => {
    registry = await startRegistry({ auth: true });
    dir = await mkdtemp(path.join(tmpdir(), 'images-test-'));
  });

  afterAll(async () => {
    await registry.stop();
    await rm(dir, { recursive: true, force: true });
  });

  async function manifestOf(repo: string, ref: string): Promise<{ digest: string; body: Buffer }> {
    const res = await fetch(`http://${registry.host}/v2/${repo}/manifests/${ref}`, {
      headers: {
        accept: MANIFEST_ACCEPT,
        authorization: `Basic ${Buffer.from(`AWS:${registry.password}`).toString('base64')}`,
      },
    });
    expect(res.status).toBe(200);
    return {
      digest: String(res.headers.get('docker-content-digest')),
      body: Buffer.from(await res.arrayBuffer()),
    };
  }

  it('pushes a single-platform image and skips blobs the registry already has', async () => {
    const image = buildImage({ format: 'docker', layers: [{ size: 20_000, seed: 'p1' }] });
    expect(await pushImage(registry, 'svc', 'one', image)).toEqual({
      digest: image.digest,
      blobsUploaded: 2,
      blobsSkipped: 0,
    });
    const again = await pushImage(registry, 'svc', 'one-again', image);
    expect(again.blobsUploaded).toBe(0);
    const read = await manifestOf('svc', 'one');
    expect(read.digest).toBe(image.digest);
    expect(read.body.equals(image.bytes)).toBe(true);
  });

  it('pushes a multi-platform image whose platform manifests resolve by digest', async () => {
    const image = buildImage({ layers: [{ size: 5_000, seed: 'p2' }], platforms });
    await pushImage(registry, 'svc', 'multi', image);
    expect((await manifestOf('svc', 'multi')).digest).toBe(image.digest);
    for (const m of [...image.platforms, ...image.attestations]) {
      const read = await manifestOf('svc', m.digest);
      expect(read.body.equals(m.bytes)).toBe(true);
    }
  });

  it('writes an OCI layout that skopeo reads and copies into the registry', async () => {
    const image = buildImage({ layers: [{ size: 8_000, seed: 'oci' }], platforms });
    const layout = path.join(dir, 'layout');
    await writeOciLayout(layout, image, 'v9');
    const inspected = await run('skopeo', ['inspect', '--raw', `oci:${layout}:v9`]);
    expect(inspected.stdout).toBe(image.bytes.toString());
    await run('skopeo', [
      'copy',
      '--all',
      '--dest-tls-verify=false',
      '--dest-creds',
      `AWS:${registry.password}`,
      `oci:${layout}:v9`,
      `docker://${registry.host}/copied:v9`,
    ]);
    expect((await manifestOf('copied', 'v9')).digest).toBe(image.digest);
    const amd64 = image.platforms[0];
    expect(
      (await manifestOf('copied', amd64?.digest ?? '')).body.equals(
        amd64?.bytes ?? Buffer.alloc(0),
      ),
    ).toBe(true);
  });

  it('refuses to write a Docker-format image as an OCI layout', async () => {
    const image = buildImage({ format: 'docker', layers: [{ size: 10, seed: 'd' }] });
    await expect(writeOciLayout(path.join(dir, 'docker'), image)).rejects.toThrow(/OCI image/);
  });
});
