// Deterministic container images built without Docker: gzipped ustar layers of seeded
// pseudo-random bytes, OCI or Docker schema2 manifests and configs, multi-platform indexes with
// buildx-style attestation entries. Pushed with the registry HTTP API or written as an OCI layout.

import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';

export const MEDIA_TYPES = {
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar+gzip',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayer: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  inToto: 'application/vnd.in-toto+json',
} as const;

/** Every manifest type a pull should accept, in the order registries honour. */
export const MANIFEST_ACCEPT = [
  MEDIA_TYPES.ociIndex,
  MEDIA_TYPES.dockerList,
  MEDIA_TYPES.ociManifest,
  MEDIA_TYPES.dockerManifest,
].join(', ');

export interface LayerSpec {
  /** Bytes of file content in the layer (uncompressed). */
  size: number;
  /** Same seed, same bytes; a different seed changes this layer only. */
  seed: string | number;
}

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

export interface ImageSpec {
  layers: LayerSpec[];
  /** `oci` (default) or Docker schema2 media types. */
  format?: 'oci' | 'docker';
  /** More than zero platforms builds an index (manifest list) with one image per platform. */
  platforms?: Platform[];
  /** Attestation manifests (`unknown/unknown`) in the index; default on for OCI indexes. */
  attestations?: boolean;
  /** Merged into the config's `config` section (Env, Cmd, Labels, ...). */
  config?: Record<string, unknown>;
  /** The config's `created` time; fixed so the image digest is stable. */
  created?: string;
}

export interface Blob {
  digest: string;
  mediaType: string;
  size: number;
  data: Buffer;
}

export interface Layer extends Blob {
  /** sha256 of the uncompressed tar, as listed in the config's `rootfs.diff_ids`. */
  diffId: string;
  seed: string;
}

/** One image manifest with the blobs it references. */
export interface PlatformImage {
  platform: Platform;
  digest: string;
  mediaType: string;
  /** The exact bytes pushed; their sha256 is `digest`. */
  bytes: Buffer;
  manifest: ImageManifest;
  config: Blob;
  layers: Layer[];
}

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: Platform;
  annotations?: Record<string, string>;
}

export interface ImageManifest {
  schemaVersion: 2;
  mediaType: string;
  config: Descriptor;
  layers: Descriptor[];
  annotations?: Record<string, string>;
}

export interface ImageIndex {
  schemaVersion: 2;
  mediaType: string;
  manifests: Descriptor[];
}

export interface BuiltImage {
  /** What a tag points at: the index digest for multi-platform images. */
  digest: string;
  mediaType: string;
  /** The exact top-level manifest or index bytes. */
  bytes: Buffer;
  /** The (first platform's) image manifest. */
  manifest: ImageManifest;
  config: Blob;
  layers: Layer[];
  /** One per platform; a single-platform image has one entry. */
  platforms: PlatformImage[];
  /** Attestation manifests referenced from the index. */
  attestations: PlatformImage[];
  index?: ImageIndex;
  /** Sum of compressed layer and config sizes over all platforms (what ECR reports). */
  size: number;
}

export function sha256(data: Buffer | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/** xorshift128 seeded from sha256(seed): fast, and the same bytes on every machine. */
export function pseudoRandomBytes(seed: string, size: number): Buffer {
  const s = createHash('sha256').update(seed).digest();
  let a = s.readUInt32LE(0) | 1;
  let b = s.readUInt32LE(4);
  let c = s.readUInt32LE(8);
  let d = s.readUInt32LE(12);
  const out = Buffer.allocUnsafe(Math.ceil(size / 4) * 4);
  for (let i = 0; i < out.length; i += 4) {
    const t = a ^ (a << 11);
    a = b;
    b = c;
    c = d;
    d = (d ^ (d >>> 19) ^ (t ^ (t >>> 8))) >>> 0;
    out.writeUInt32LE(d, i);
  }
  return out.subarray(0, size);
}

function octal(value: number, width: number): string {
  return `${value.toString(8).padStart(width - 1, '0')}\0`;
}

/** A ustar header for a regular file or directory; mtime 0 keeps the tar reproducible. */
function tarHeader(name: string, size: number, type: '0' | '5'): Buffer {
  const header = Buffer.alloc(512);
  header.write(name, 0, 100, 'utf8');
  header.write(octal(type === '5' ? 0o755 : 0o644, 8), 100, 'ascii');
  header.write(octal(0, 8), 108, 'ascii');
  header.write(octal(0, 8), 116, 'ascii');
  header.write(octal(size, 12), 124, 'ascii');
  header.write(octal(0, 12), 136, 'ascii');
  header.fill(0x20, 148, 156);
  header.write(type, 156, 'ascii');
  header.write('ustar\0', 257, 'ascii');
  header.write('00', 263, 'ascii');
  header.write('root', 265, 'ascii');
  header.write('root', 297, 'ascii');
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
  return header;
}

/** A tar with one directory and one file holding `content`. */
export function tarFile(dir: string, name: string, content: Buffer): Buffer {
  const pad = (512 - (content.length % 512)) % 512;
  return Buffer.concat([
    tarHeader(`${dir}/`, 0, '5'),
    tarHeader(`${dir}/${name}`, content.length, '0'),
    content,
    Buffer.alloc(pad),
    Buffer.alloc(1024),
  ]);
}

function buildLayer(spec: LayerSpec, seedSuffix: string, mediaType: string): Layer {
  const seed = `${spec.seed}${seedSuffix}`;
  const safe = seed.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 60);
  const tar = tarFile(`layer-${safe}`, 'data.bin', pseudoRandomBytes(seed, spec.size));
  // gzip output is deterministic: node writes mtime 0 and a fixed OS byte.
  const data = gzipSync(tar, { level: 1 });
  return { digest: sha256(data), mediaType, size: data.length, data, diffId: sha256(tar), seed };
}

function jsonBlob(value: unknown, mediaType: string): Blob {
  const data = Buffer.from(JSON.stringify(value));
  return { digest: sha256(data), mediaType, size: data.length, data };
}

function descriptor(blob: { digest: string; mediaType: string; size: number }): Descriptor {
  return { mediaType: blob.mediaType, digest: blob.digest, size: blob.size };
}

function manifestDescriptor(image: PlatformImage): Descriptor {
  return { mediaType: image.mediaType, digest: image.digest, size: image.bytes.length };
}

function imageManifest(
  format: 'oci' | 'docker',
  config: Blob,
  layers: Blob[],
  annotations?: Record<string, string>,
): { manifest: ImageManifest; bytes: Buffer; digest: string; mediaType: string } {
  const mediaType = format === 'oci' ? MEDIA_TYPES.ociManifest : MEDIA_TYPES.dockerManifest;
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType,
    config: descriptor(config),
    layers: layers.map((l) => {
      const d = descriptor(l);
      if (l.mediaType === MEDIA_TYPES.inToto) {
        d.annotations = { 'in-toto.io/predicate-type': 'https://slsa.dev/provenance/v0.2' };
      }
      return d;
    }),
  };
  if (annotations) manifest.annotations = annotations;
  const bytes = Buffer.from(JSON.stringify(manifest, null, 2));
  return { manifest, bytes, digest: sha256(bytes), mediaType };
}

function buildPlatform(spec: ImageSpec, platform: Platform, multi: boolean): PlatformImage {
  const format = spec.format ?? 'oci';
  const layerType = format === 'oci' ? MEDIA_TYPES.ociLayer : MEDIA_TYPES.dockerLayer;
  const suffix = multi ? `@${platform.os}/${platform.architecture}` : '';
  const layers = spec.layers.map((l) => buildLayer(l, suffix, layerType));
  const configJson: Record<string, unknown> = {
    created: spec.created ?? '2024-01-01T00:00:00Z',
    architecture: platform.architecture,
    os: platform.os,
    config: {
      Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
      ...spec.config,
    },
    rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
    history: layers.map((l) => ({
      created: spec.created ?? '2024-01-01T00:00:00Z',
      created_by: `sandbox layer ${l.seed}`,
    })),
  };
  if (platform.variant) configJson.variant = platform.variant;
  const config = jsonBlob(
    configJson,
    format === 'oci' ? MEDIA_TYPES.ociConfig : MEDIA_TYPES.dockerConfig,
  );
  const m = imageManifest(format, config, layers);
  return { platform, ...m, config, layers };
}

function buildAttestation(image: PlatformImage): PlatformImage {
  const statement = {
    _type: 'https://in-toto.io/Statement/v0.1',
    predicateType: 'https://slsa.dev/provenance/v0.2',
    subject: [{ name: 'sandbox', digest: { sha256: image.digest.slice('sha256:'.length) } }],
    predicate: { builder: { id: 'sandbox' }, buildType: 'https://mobyproject.org/buildkit@v1' },
  };
  const data = Buffer.from(JSON.stringify(statement));
  const statementLayer: Layer = {
    digest: sha256(data),
    mediaType: MEDIA_TYPES.inToto,
    size: data.length,
    data,
    diffId: sha256(data),
    seed: `attestation:${image.digest}`,
  };
  const config = jsonBlob(
    {
      architecture: 'unknown',
      os: 'unknown',
      config: {},
      rootfs: { type: 'layers', diff_ids: [statementLayer.diffId] },
    },
    MEDIA_TYPES.ociConfig,
  );
  const m = imageManifest('oci', config, [statementLayer]);
  return {
    platform: { os: 'unknown', architecture: 'unknown' },
    ...m,
    config,
    layers: [statementLayer],
  };
}

/** Builds an image (or a multi-platform index) from a spec, deterministically. */
export function buildImage(spec: ImageSpec): BuiltImage {
  const platforms = spec.platforms ?? [];
  const format = spec.format ?? 'oci';
  if (platforms.length === 0) {
    const image = buildPlatform(spec, { os: 'linux', architecture: 'amd64' }, false);
    return {
      digest: image.digest,
      mediaType: image.mediaType,
      bytes: image.bytes,
      manifest: image.manifest,
      config: image.config,
      layers: image.layers,
      platforms: [image],
      attestations: [],
      size: imageSize(image),
    };
  }
  const images = platforms.map((p) => buildPlatform(spec, p, true));
  const attestations = (spec.attestations ?? format === 'oci') ? images.map(buildAttestation) : [];
  const index: ImageIndex = {
    schemaVersion: 2,
    mediaType: format === 'oci' ? MEDIA_TYPES.ociIndex : MEDIA_TYPES.dockerList,
    manifests: [
      ...images.map((i) => ({ ...manifestDescriptor(i), platform: i.platform })),
      ...attestations.map((a, n) => ({
        ...manifestDescriptor(a),
        platform: { architecture: 'unknown', os: 'unknown' },
        annotations: {
          'vnd.docker.reference.digest': (images[n] as PlatformImage).digest,
          'vnd.docker.reference.type': 'attestation-manifest',
        },
      })),
    ],
  };
  const bytes = Buffer.from(JSON.stringify(index, null, 2));
  const first = images[0] as PlatformImage;
  return {
    digest: sha256(bytes),
    mediaType: index.mediaType,
    bytes,
    manifest: first.manifest,
    config: first.config,
    layers: first.layers,
    platforms: images,
    attestations,
    index,
    size: images.reduce((sum, i) => sum + imageSize(i), 0),
  };
}

function imageSize(image: PlatformImage): number {
  return image.config.size + image.layers.reduce((sum, l) => sum + l.size, 0);
}

/** Where to push: a `Registry`, or any host with optional Basic credentials. */
export interface RegistryTarget {
  host: string;
  username?: string;
  password?: string;
}

export interface PushResult {
  digest: string;
  blobsUploaded: number;
  blobsSkipped: number;
}

function authHeaders(target: RegistryTarget): Record<string, string> {
  if (!target.password) return {};
  const user = target.username ?? 'AWS';
  return {
    authorization: `Basic ${Buffer.from(`${user}:${target.password}`).toString('base64')}`,
  };
}

async function expectStatus(res: Response, statuses: number[], what: string): Promise<void> {
  if (!statuses.includes(res.status)) {
    throw new Error(`${what}: HTTP ${res.status} ${await res.text()}`);
  }
  await res.arrayBuffer();
}

async function pushBlob(target: RegistryTarget, repo: string, blob: Blob): Promise<boolean> {
  const base = `http://${target.host}/v2/${repo}`;
  const headers = authHeaders(target);
  const head = await fetch(`${base}/blobs/${blob.digest}`, { method: 'HEAD', headers });
  if (head.status === 200) return false;
  const start = await fetch(`${base}/blobs/uploads/`, { method: 'POST', headers });
  await expectStatus(start, [202], `start upload of ${blob.digest}`);
  const location = new URL(start.headers.get('location') ?? '', `http://${target.host}`);
  location.searchParams.set('digest', blob.digest);
  const put = await fetch(location, {
    method: 'PUT',
    headers: {
      ...headers,
      'content-type': 'application/octet-stream',
      'content-length': String(blob.size),
    },
    body: new Uint8Array(blob.data),
  });
  await expectStatus(put, [201], `upload of ${blob.digest}`);
  return true;
}

async function putManifest(
  target: RegistryTarget,
  repo: string,
  reference: string,
  mediaType: string,
  bytes: Buffer,
): Promise<void> {
  const res = await fetch(`http://${target.host}/v2/${repo}/manifests/${reference}`, {
    method: 'PUT',
    headers: { ...authHeaders(target), 'content-type': mediaType },
    body: new Uint8Array(bytes),
  });
  await expectStatus(res, [201], `push of manifest ${repo}:${reference}`);
}

/** All blobs an image references, each once. */
export function imageBlobs(image: BuiltImage): Blob[] {
  const seen = new Map<string, Blob>();
  for (const m of [...image.platforms, ...image.attestations]) {
    for (const b of [...m.layers, m.config]) seen.set(b.digest, b);
  }
  return [...seen.values()];
}

/**
 * Pushes an image the way `docker push` does: each blob unless HEAD says it exists (monolithic
 * upload: POST then PUT ?digest=), the platform manifests by digest, then the tag.
 */
export async function pushImage(
  target: RegistryTarget,
  repo: string,
  tag: string,
  image: BuiltImage,
): Promise<PushResult> {
  let uploaded = 0;
  let skipped = 0;
  for (const blob of imageBlobs(image)) {
    if (await pushBlob(target, repo, blob)) uploaded++;
    else skipped++;
  }
  if (image.index) {
    for (const m of [...image.platforms, ...image.attestations]) {
      await putManifest(target, repo, m.digest, m.mediaType, m.bytes);
    }
  }
  await putManifest(target, repo, tag, image.mediaType, image.bytes);
  return { digest: image.digest, blobsUploaded: uploaded, blobsSkipped: skipped };
}

/**
 * Writes the image as an OCI image layout (`oci-layout`, `index.json`, `blobs/sha256/…`) that
 * `skopeo copy oci:<dir>:<tag>` reads.
 */
export async function writeOciLayout(
  dir: string,
  image: BuiltImage,
  tag = 'latest',
): Promise<void> {
  if (!image.mediaType.startsWith('application/vnd.oci.')) {
    // skopeo's oci: transport only resolves OCI media types from index.json.
    throw new Error('writeOciLayout needs an OCI image: build it with format "oci"');
  }
  const blobDir = path.join(dir, 'blobs', 'sha256');
  await mkdir(blobDir, { recursive: true });
  const write = (digest: string, data: Buffer) =>
    writeFile(path.join(blobDir, digest.slice('sha256:'.length)), data);
  for (const blob of imageBlobs(image)) await write(blob.digest, blob.data);
  for (const m of [...image.platforms, ...image.attestations]) await write(m.digest, m.bytes);
  if (image.index) await write(image.digest, image.bytes);
  await writeFile(path.join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  const top: Descriptor = {
    mediaType: image.mediaType,
    digest: image.digest,
    size: image.bytes.length,
    annotations: { 'org.opencontainers.image.ref.name': tag },
  };
  await writeFile(
    path.join(dir, 'index.json'),
    JSON.stringify({ schemaVersion: 2, mediaType: MEDIA_TYPES.ociIndex, manifests: [top] }),
  );
}
