import { createHash } from 'node:crypto';
import type { IndexEntry, Platform } from './platform.ts';

export const MEDIA = {
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerSchema1: 'application/vnd.docker.distribution.manifest.v1+prettyjws',
} as const;

/** Everything we can read, most capable first: a registry then returns the index, not a guess. */
export const MANIFEST_ACCEPT = [
  MEDIA.ociIndex,
  MEDIA.dockerList,
  MEDIA.ociManifest,
  MEDIA.dockerManifest,
].join(', ');

const DIGEST = /^sha256:[a-f0-9]{64}$/;

export function isSha256Digest(digest: string): boolean {
  return DIGEST.test(digest);
}

export function sha256Digest(bytes: Buffer | string): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  urls?: string[];
  annotations?: Record<string, string>;
  platform?: Platform;
}

export interface ImageManifest {
  kind: 'manifest';
  mediaType: string;
  config: Descriptor;
  layers: Descriptor[];
}

export interface ImageIndex {
  kind: 'index';
  mediaType: string;
  manifests: IndexEntry[];
}

/** Why a manifest could not be used, for the error that names the image. */
export class ManifestError extends Error {
  override readonly name = 'ManifestError';
}

function descriptor(value: unknown, where: string): Descriptor {
  const d = value as Partial<Descriptor> | null;
  if (
    typeof d !== 'object' ||
    d === null ||
    typeof d.digest !== 'string' ||
    typeof d.size !== 'number' ||
    !Number.isSafeInteger(d.size) ||
    d.size < 0
  ) {
    throw new ManifestError(`${where} is not a descriptor with a digest and a size`);
  }
  if (!isSha256Digest(d.digest)) {
    throw new ManifestError(`${where} has digest '${d.digest}': only sha256 digests are supported`);
  }
  return { ...d, mediaType: d.mediaType ?? '' } as Descriptor;
}

/**
 * Reads a manifest or index. The media type comes from the document when it names one, else from
 * the response's Content-Type; Docker schema 1 is refused with a message saying so.
 */
export function parseManifest(bytes: Buffer, contentType = ''): ImageManifest | ImageIndex {
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(bytes.toString('utf8')) as Record<string, unknown>;
  } catch {
    throw new ManifestError('the manifest is not valid JSON');
  }
  if (typeof doc !== 'object' || doc === null)
    throw new ManifestError('the manifest is not a JSON object');
  const mediaType =
    (typeof doc.mediaType === 'string' && doc.mediaType) || contentType.split(';')[0]!.trim();
  if (doc.schemaVersion === 1 || mediaType.startsWith(MEDIA.dockerSchema1)) {
    throw new ManifestError(
      'Docker schema 1 manifests are not supported: push the image again with a current client',
    );
  }
  if (Array.isArray(doc.manifests)) {
    return {
      kind: 'index',
      mediaType: mediaType || MEDIA.ociIndex,
      manifests: doc.manifests.map((m, i) => descriptor(m, `manifests[${i}]`)),
    };
  }
  if (doc.config !== undefined && Array.isArray(doc.layers)) {
    return {
      kind: 'manifest',
      mediaType: mediaType || MEDIA.ociManifest,
      config: descriptor(doc.config, 'config'),
      layers: doc.layers.map((l, i) => descriptor(l, `layers[${i}]`)),
    };
  }
  throw new ManifestError(`unsupported manifest type '${mediaType || 'unknown'}'`);
}
