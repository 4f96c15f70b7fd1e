import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  dockerManifest,
  layoutArchive,
  ociIndex,
  tarHeader,
  writeOciLayout,
} from '../../../src/actions/layer-cache/layout.ts';
import { sha256Digest } from '../../../src/actions/layer-cache/manifest.ts';
import type { PulledImage } from '../../../src/actions/layer-cache/pull.ts';
import { BlobStore } from '../../../src/actions/layer-cache/store.ts';
import { type ImageRef, parseImageRef } from '../../../src/lib/image-ref.ts';

let dir: string;
let store: BlobStore;

beforeEach(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'layer-cache-layout-'));
  store = await BlobStore.open(path.join(dir, 'store'));
});

afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function storedImage(text: string, layerTexts: string[]): Promise<PulledImage> {
  const put = async (content: string, mediaType: string) => {
    const bytes = Buffer.from(content);
    const digest = sha256Digest(bytes);
    await store.putBytes(digest, bytes);
    return { mediaType, digest, size: bytes.length };
  };
  const config = await put(
    `{"os":"linux","for":"${text}"}`,
    'application/vnd.oci.image.config.v1+json',
  );
  const layers = [];
  for (const l of layerTexts)
    layers.push(await put(l, 'application/vnd.oci.image.layer.v1.tar+gzip'));
  const manifest = await put(
    JSON.stringify({ schemaVersion: 2, config, layers }),
    'application/vnd.oci.image.manifest.v1+json',
  );
  return {
    image: text,
    ref: parseImageRef(text) as ImageRef,
    digest: manifest.digest,
    manifest,
    config,
    layers,
    blobs: [],
    durationMs: 1,
  };
}

describe('the OCI layout', () => {
  it('names each image by tag for OCI tools and by repository:tag for docker load', async () => {
    const app = await storedImage('127.0.0.1:5000/team/app:v1', ['base', 'app']);
    const nginx = await storedImage('nginx:1.27', ['base', 'nginx']);

    expect(ociIndex([app, nginx])).toMatchObject({
      manifests: [
        {
          digest: app.manifest.digest,
          annotations: {
            'org.opencontainers.image.ref.name': 'v1',
            'io.containerd.image.name': '127.0.0.1:5000/team/app:v1',
          },
        },
        { annotations: { 'io.containerd.image.name': 'docker.io/library/nginx:1.27' } },
      ],
    });
    expect(dockerManifest([app, nginx])).toEqual([
      {
        Config: `blobs/sha256/${app.config.digest.slice(7)}`,
        RepoTags: ['127.0.0.1:5000/team/app:v1'],
        Layers: app.layers.map((l) => `blobs/sha256/${l.digest.slice(7)}`),
      },
      expect.objectContaining({ RepoTags: ['nginx:1.27'] }),
    ]);
  });

  it('an image named by digest only is loaded untagged', async () => {
    const pinned = await storedImage(`127.0.0.1:5000/app@sha256:${'b'.repeat(64)}`, ['x']);
    expect(dockerManifest([pinned])[0]).toMatchObject({ RepoTags: [] });
  });

  it('writes every blob once, sharing the store file where the filesystem allows', async () => {
    const a = await storedImage('127.0.0.1:5000/a:v1', ['shared base', 'a']);
    const b = await storedImage('127.0.0.1:5000/b:v1', ['shared base', 'b']);
    const out = path.join(dir, 'oci');

    await writeOciLayout(out, [a, b], store);

    const base = a.layers[0]!.digest;
    const file = path.join(out, 'blobs', 'sha256', base.slice(7));
    expect(readFileSync(file, 'utf8')).toBe('shared base');
    expect(statSync(file).ino).toBe(statSync(store.pathOf(base)).ino);
    expect(JSON.parse(readFileSync(path.join(out, 'oci-layout'), 'utf8'))).toEqual({
      imageLayoutVersion: '1.0.0',
    });
    expect(JSON.parse(readFileSync(path.join(out, 'index.json'), 'utf8')).manifests).toHaveLength(
      2,
    );
  });
});

describe('the archive streamed to docker load', () => {
  it('is a tar that tar itself lists and extracts to the same layout', async () => {
    const app = await storedImage('127.0.0.1:5000/app:v1', ['layer one', 'layer two'.repeat(100)]);
    const chunks: Buffer[] = [];
    for await (const chunk of layoutArchive([app], store)) chunks.push(chunk);
    const archive = path.join(dir, 'image.tar');
    writeFileSync(archive, Buffer.concat(chunks));
    const out = path.join(dir, 'extracted');
    mkdirSync(out);

    execFileSync('tar', ['-xf', archive, '-C', out]);

    const manifest = JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8'));
    expect(manifest[0].RepoTags).toEqual(['127.0.0.1:5000/app:v1']);
    for (const layer of app.layers) {
      const bytes = readFileSync(path.join(out, 'blobs', 'sha256', layer.digest.slice(7)));
      expect(sha256Digest(bytes)).toBe(layer.digest);
    }
  });

  it('writes sizes past 8 GiB in the base-256 form', () => {
    const header = tarHeader('blobs/sha256/big', 10 * 1024 ** 3);
    expect(header[124]).toBe(0x80);
    expect(header.readBigUInt64BE(128)).toBe(BigInt(10 * 1024 ** 3));
  });
});
