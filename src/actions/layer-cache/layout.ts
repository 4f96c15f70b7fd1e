import { createReadStream, renameSync, writeFileSync } from 'node:fs';
import { mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { ImageRef } from '../../lib/image-ref.ts';
import { linkOrCopy } from './files.ts';
import { MEDIA } from './manifest.ts';
import type { PulledImage } from './pull.ts';
import type { BlobStore } from './store.ts';

/** `name:tag` as `docker load` tags it; undefined for a reference by digest only. */
export function repoTag(ref: ImageRef): string | undefined {
  if (!ref.tag) return undefined;
  const name =
    ref.registry === 'docker.io'
      ? ref.repository.replace(/^library\//, '')
      : `${ref.registry}/${ref.repository}`;
  return `${name}:${ref.tag}`;
}

/** The fully qualified name containerd (and Docker's containerd store) reads from an OCI layout. */
function qualifiedName(ref: ImageRef): string {
  const name = `${ref.registry}/${ref.repository}`;
  return ref.tag ? `${name}:${ref.tag}` : `${name}@${ref.digest}`;
}

function blobPath(digest: string): string {
  return `blobs/sha256/${digest.slice('sha256:'.length)}`;
}

/** The layout's `index.json`: one entry per image, the platform's manifest, named by its tag. */
export function ociIndex(images: readonly PulledImage[]): object {
  return {
    schemaVersion: 2,
    mediaType: MEDIA.ociIndex,
    manifests: images.map((image) => {
      const annotations: Record<string, string> = {
        'io.containerd.image.name': qualifiedName(image.ref),
      };
      if (image.ref.tag) annotations['org.opencontainers.image.ref.name'] = image.ref.tag;
      return {
        mediaType: image.manifest.mediaType,
        digest: image.manifest.digest,
        size: image.manifest.size,
        ...(image.platform ? { platform: image.platform } : {}),
        annotations,
      };
    }),
  };
}

/** Docker's `manifest.json`, which `docker load` reads before anything else in an archive. */
export function dockerManifest(images: readonly PulledImage[]): object[] {
  return images.map((image) => {
    const tag = repoTag(image.ref);
    return {
      Config: blobPath(image.config.digest),
      RepoTags: tag ? [tag] : [],
      Layers: image.layers.map((l) => blobPath(l.digest)),
    };
  });
}

function layoutDigests(images: readonly PulledImage[]): string[] {
  const digests = new Set<string>();
  for (const image of images) {
    digests.add(image.manifest.digest);
    digests.add(image.config.digest);
    for (const layer of image.layers) digests.add(layer.digest);
  }
  return [...digests];
}

type MetadataFile = [name: string, bytes: Buffer];

/** `oci-layout`, `index.json` and `manifest.json`, in the order a tar stream carries them. */
function metadataFiles(images: readonly PulledImage[]): [MetadataFile, MetadataFile, MetadataFile] {
  return [
    ['oci-layout', Buffer.from(`${JSON.stringify({ imageLayoutVersion: '1.0.0' })}\n`)],
    ['index.json', Buffer.from(`${JSON.stringify(ociIndex(images), null, 2)}\n`)],
    ['manifest.json', Buffer.from(`${JSON.stringify(dockerManifest(images), null, 2)}\n`)],
  ];
}

/**
 * Writes an OCI image layout at `dir` with a Docker `manifest.json` beside `index.json`, so
 * skopeo, containerd and `docker load` (of its tar) all read it. Blobs are hard links into the
 * store where the filesystem allows, made as each blob lands in the store while the others are
 * still downloading; the index is written last, by rename, so a layout that names an image has
 * all of its blobs.
 */
export class OciLayoutWriter {
  private readonly dir: string;
  private readonly store: BlobStore;
  private readonly ready: Promise<void>;
  private readonly links = new Map<string, Promise<void>>();

  constructor(dir: string, store: BlobStore) {
    this.dir = dir;
    this.store = store;
    this.ready = mkdir(path.join(dir, 'blobs', 'sha256'), { recursive: true }).then(() => {});
    this.ready.catch(() => {}); // awaited by every link and by finish
  }

  /** Links a blob that is in the store into the layout; finish waits for it and reports failure. */
  add(digest: string): void {
    if (this.links.has(digest)) return;
    const linking = this.ready.then(() =>
      linkOrCopy(this.store.pathOf(digest), path.join(this.dir, blobPath(digest))),
    );
    linking.catch(() => {}); // awaited by finish
    this.links.set(digest, linking);
  }

  /** Waits for links still in flight, without writing an index: what a failed pull leaves. */
  async settle(): Promise<void> {
    await Promise.allSettled([this.ready, ...this.links.values()]);
  }

  /** Links whatever the images use that is not linked yet, then writes the metadata, index last. */
  async finish(images: readonly PulledImage[]): Promise<void> {
    for (const digest of layoutDigests(images)) this.add(digest);
    await this.ready;
    await Promise.all(this.links.values());
    // Small files, written with synchronous calls; the index last.
    const [layoutFile, index, dockerFile] = metadataFiles(images);
    for (const [name, bytes] of [layoutFile, dockerFile, index]) {
      const temp = path.join(this.dir, `.${name}.part`);
      writeFileSync(temp, bytes);
      renameSync(temp, path.join(this.dir, name));
    }
  }
}

/** The whole layout at once, for blobs already in the store. */
export async function writeOciLayout(
  dir: string,
  images: readonly PulledImage[],
  store: BlobStore,
): Promise<void> {
  await new OciLayoutWriter(dir, store).finish(images);
}

const BLOCK = 512;

function octal(value: number, width: number): string {
  return `${value.toString(8).padStart(width - 1, '0')}\0`;
}

/** A ustar header; sizes past octal's 8 GiB use the base-256 form GNU tar and Docker read. */
export function tarHeader(name: string, size: number, type: 'file' | 'directory' = 'file'): Buffer {
  const mode = type === 'file' ? 0o644 : 0o755;
  if (Buffer.byteLength(name) > 100) throw new Error(`tar entry name too long: ${name}`);
  const header = Buffer.alloc(BLOCK);
  header.write(name, 0, 100, 'utf8');
  header.write(octal(mode, 8), 100, 'ascii');
  header.write(octal(0, 8), 108, 'ascii');
  header.write(octal(0, 8), 116, 'ascii');
  if (size < 8 ** 11) {
    header.write(octal(size, 12), 124, 'ascii');
  } else {
    header[124] = 0x80;
    let rest = BigInt(size);
    for (let i = 135; i > 124; i--) {
      header[i] = Number(rest & 0xffn);
      rest >>= 8n;
    }
  }
  header.write(octal(0, 12), 136, 'ascii');
  header.write('        ', 148, 'ascii');
  header.write(type === 'file' ? '0' : '5', 156, 'ascii');
  header.write('ustar\0', 257, 'ascii');
  header.write('00', 263, 'ascii');
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
  return header;
}

function padding(size: number): Buffer {
  const rest = size % BLOCK;
  return Buffer.alloc(rest === 0 ? 0 : BLOCK - rest);
}

/**
 * The same layout as a tar stream (`docker save`'s format), blobs streamed from the store, for
 * `docker load` without writing a second copy to disk.
 */
export async function* layoutArchive(
  images: readonly PulledImage[],
  store: BlobStore,
): AsyncGenerator<Buffer> {
  yield tarHeader('blobs/', 0, 'directory');
  yield tarHeader('blobs/sha256/', 0, 'directory');
  for (const [name, bytes] of metadataFiles(images)) {
    yield tarHeader(name, bytes.length);
    yield bytes;
    yield padding(bytes.length);
  }
  for (const digest of layoutDigests(images)) {
    const file = store.pathOf(digest);
    const { size } = await stat(file);
    yield tarHeader(blobPath(digest), size);
    let sent = 0;
    for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) {
      sent += (chunk as Buffer).length;
      yield chunk as Buffer;
    }
    if (sent !== size) throw new Error(`${digest} changed size while being sent to docker load`);
    yield padding(size);
  }
  yield Buffer.alloc(BLOCK * 2);
}
