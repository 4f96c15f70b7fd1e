import { rm } from 'node:fs/promises';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { ActionError, AggregateActionError, describeError } from '../../lib/errors.ts';
import { formatImageRef, type ImageRef } from '../../lib/image-ref.ts';
import type { Log } from '../../lib/log.ts';
import type { ActionsBlobCache } from './actions-cache.ts';
import { UnauthorizedError } from './auth.ts';
import { limiter } from './limit.ts';
import {
  type Descriptor,
  type ImageIndex,
  type ImageManifest,
  ManifestError,
  parseManifest,
} from './manifest.ts';
import { formatPlatform, type Platform, pickPlatform } from './platform.ts';
import { DigestMismatchError, type RegistryClient } from './registry-client.ts';
import type { BlobStore } from './store.ts';

export type BlobSource = 'store' | 'actions-cache' | 'registry';

export interface ImageRequest {
  /** The reference as the user wrote it: the key of the `digests` output. */
  text: string;
  ref: ImageRef;
}

export interface BlobOutcome {
  digest: string;
  size: number;
  source: BlobSource;
}

export interface PulledImage {
  image: string;
  ref: ImageRef;
  /** What the reference resolves to in the registry: an index for multi-platform images. */
  digest: string;
  /** The platform's image manifest (equal to `digest` for single-platform images). */
  manifest: Descriptor;
  /** The platform picked from an index; undefined for a single-platform image. */
  platform?: Platform;
  config: Descriptor;
  layers: Descriptor[];
  /** The digest this tag had at the last run with this store, when it was different. */
  previousDigest?: string;
  /** Where each of this image's blobs (config first, then layers) came from in this run. */
  blobs: BlobOutcome[];
  durationMs: number;
}

export interface PullDeps {
  store: BlobStore;
  client: (host: string) => RegistryClient;
  actionsCache?: ActionsBlobCache;
  platform: Platform;
  concurrency: number;
  log: Log;
  now?: () => number;
  /** Called once for each blob as soon as it is in the store, verified, while others download. */
  onStored?: (digest: string) => void;
}

/** Why one blob could not be had from any source. */
class BlobError extends Error {
  override readonly name = 'BlobError';
}

function describeStepError(err: unknown): string {
  if (
    err instanceof UnauthorizedError ||
    err instanceof ManifestError ||
    err instanceof DigestMismatchError ||
    err instanceof BlobError
  ) {
    return err.message;
  }
  return describeError(err);
}

/** Runs one step of one image; a failure names both. */
async function step<T>(image: string, what: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof ActionError) throw err;
    throw new ActionError(`${image}: ${what}: ${describeStepError(err)}`);
  }
}

/**
 * Pulls images into the store: manifests resolved with as few requests as the store allows,
 * then every blob from the first source that verifies — store, Actions cache, registry — with
 * a blob shared by several images fetched once.
 */
export async function pullImages(
  images: readonly ImageRequest[],
  deps: PullDeps,
): Promise<PulledImage[]> {
  const now = deps.now ?? Date.now;
  const limit = limiter(deps.concurrency);
  const blobs = new Map<string, Promise<BlobOutcome>>();

  const obtain = (client: RegistryClient, repo: string, blob: Descriptor): Promise<BlobOutcome> => {
    let pending = blobs.get(blob.digest);
    if (!pending) {
      pending = limit(() => obtainBlob(client, repo, blob, deps));
      blobs.set(blob.digest, pending);
      const { onStored } = deps;
      // A blob that could not be had is reported by the image that waits for it.
      if (onStored) pending.then((outcome) => onStored(outcome.digest)).catch(() => {});
    }
    return pending;
  };

  const pullOne = async ({ text, ref }: ImageRequest): Promise<PulledImage> => {
    const started = now();
    const client = deps.client(ref.registry);
    // Store writes that run while the blobs download. Each is observed when it is made, and all
    // are settled before this image is done, whether it succeeds or fails.
    const writes: Array<Promise<void>> = [];
    const later = (write: () => Promise<void>) => {
      // Started once the blob requests are on their way (even a first Date costs a millisecond).
      const writing = nextTurn().then(write);
      writing.catch(() => {});
      writes.push(writing);
    };
    try {
      const resolved = await step(text, 'resolving the manifest', () =>
        resolveImage(client, ref, deps, later),
      );
      const { manifest } = resolved;
      const all = [manifest.config, ...manifest.layers];
      const outcomes = await Promise.all(
        all.map((blob, i) =>
          step(text, `fetching ${i === 0 ? 'the config' : `layer ${i}`} ${blob.digest}`, () =>
            obtain(client, ref.repository, blob),
          ),
        ),
      );
      await step(text, 'storing the manifest', () => Promise.all(writes));
      const pulled: PulledImage = {
        image: text,
        ref,
        digest: resolved.digest,
        manifest: resolved.descriptor,
        config: manifest.config,
        layers: manifest.layers,
        blobs: outcomes,
        durationMs: now() - started,
      };
      if (resolved.platform) pulled.platform = resolved.platform;
      if (resolved.previousDigest) pulled.previousDigest = resolved.previousDigest;
      return pulled;
    } finally {
      await Promise.allSettled(writes);
    }
  };

  const settled = await Promise.allSettled(images.map(pullOne));
  const failures = settled.flatMap((s) =>
    s.status === 'rejected' ? [describeError(s.reason)] : [],
  );
  if (failures.length === 1) throw new ActionError(failures[0]!);
  if (failures.length > 1)
    throw new AggregateActionError(`${failures.length} images failed`, failures);
  return settled.map((s) => (s as PromiseFulfilledResult<PulledImage>).value);
}

interface Resolved {
  digest: string;
  descriptor: Descriptor;
  manifest: ImageManifest;
  platform?: Platform;
  previousDigest?: string;
}

/** The store key of a tag's last known digest. */
export function refKey(ref: ImageRef): string {
  return `${ref.registry}/${ref.repository}:${ref.tag ?? 'latest'}`;
}

/**
 * Docker Hub counts each manifest GET against its pull rate limit, and no HEAD: there a tag seen
 * before is checked with a HEAD, and fetched only when it moved. Elsewhere one GET costs the same
 * round trip as the HEAD and saves the second one a moved tag would need.
 */
function checkedWithHead(ref: ImageRef): boolean {
  return ref.registry === 'docker.io';
}

/**
 * The manifest a reference names. A digest reference whose manifest is stored needs no request;
 * a tag one GET (on Docker Hub, one HEAD when the tag has not moved); an index one more GET for
 * its platform's manifest unless that is stored.
 */
async function resolveImage(
  client: RegistryClient,
  ref: ImageRef,
  deps: PullDeps,
  later: (write: () => Promise<void>) => void,
): Promise<Resolved> {
  const { store } = deps;
  const repo = ref.repository;
  let top: { digest: string; bytes: Buffer; contentType: string };
  let previousDigest: string | undefined;
  if (ref.digest) {
    top = await manifestByDigest(client, repo, ref.digest, store);
  } else {
    const tag = ref.tag ?? 'latest';
    const key = refKey(ref);
    const record = await store.readRef(key);
    let current: string | undefined;
    if (record && checkedWithHead(ref)) {
      // The stored manifest is checked while the HEAD is on its way.
      const [stored, head] = await Promise.all([
        store.readVerified(record.digest),
        client.headManifest(repo, tag),
      ]);
      if (stored) current = head;
    }
    if (current) {
      top = await manifestByDigest(client, repo, current, store);
    } else {
      const fetched = await client.getManifest(repo, tag);
      // Stored while the blobs download; the image is done only when it is.
      later(() => store.putBytes(fetched.digest, fetched.bytes));
      top = fetched;
    }
    if (record && record.digest !== top.digest) previousDigest = record.digest;
    const digest = top.digest;
    later(() =>
      store.writeRef(key, {
        image: formatImageRef(ref),
        digest,
        updatedAt: new Date(store.now()).toISOString(),
      }),
    );
  }

  const parsed = parseManifest(top.bytes, top.contentType);
  if (parsed.kind === 'manifest') {
    const descriptor: Descriptor = {
      mediaType: parsed.mediaType,
      digest: top.digest,
      size: top.bytes.length,
    };
    const resolved: Resolved = { digest: top.digest, descriptor, manifest: parsed };
    if (previousDigest) resolved.previousDigest = previousDigest;
    return resolved;
  }
  return resolveFromIndex(client, repo, top.digest, parsed, deps, previousDigest);
}

async function resolveFromIndex(
  client: RegistryClient,
  repo: string,
  digest: string,
  index: ImageIndex,
  deps: PullDeps,
  previousDigest: string | undefined,
): Promise<Resolved> {
  const pick = pickPlatform(index.manifests, deps.platform);
  if (!pick.entry) {
    const available = pick.available.length > 0 ? pick.available.join(', ') : 'none';
    throw new ManifestError(
      `platform ${formatPlatform(deps.platform)} is not in the image index (available: ${available})`,
    );
  }
  const entry = pick.entry;
  const child = await manifestByDigest(client, repo, entry.digest, deps.store);
  if (entry.size !== undefined && entry.size !== child.bytes.length) {
    throw new ManifestError(
      `the ${formatPlatform(deps.platform)} manifest is ${child.bytes.length} bytes, the index says ${entry.size}`,
    );
  }
  const manifest = parseManifest(child.bytes, entry.mediaType ?? child.contentType);
  if (manifest.kind !== 'manifest') {
    throw new ManifestError('the index points at another index: nested indexes are not supported');
  }
  const resolved: Resolved = {
    digest,
    descriptor: {
      mediaType: entry.mediaType || manifest.mediaType,
      digest: entry.digest,
      size: child.bytes.length,
    },
    manifest,
  };
  if (entry.platform) resolved.platform = entry.platform;
  if (previousDigest) resolved.previousDigest = previousDigest;
  return resolved;
}

/** A manifest by digest: from the store when it verifies there, else from the registry. */
async function manifestByDigest(
  client: RegistryClient,
  repo: string,
  digest: string,
  store: BlobStore,
): Promise<{ digest: string; bytes: Buffer; contentType: string }> {
  const stored = await store.readVerified(digest);
  if (stored) return { digest, bytes: stored, contentType: '' };
  const fetched = await client.getManifest(repo, digest);
  if (fetched.digest !== digest) {
    throw new DigestMismatchError(`asked for ${digest}, received ${fetched.digest}`);
  }
  await store.putBytes(digest, fetched.bytes);
  return fetched;
}

/** Store → Actions cache → registry; a source whose bytes do not verify is skipped. */
async function obtainBlob(
  client: RegistryClient,
  repo: string,
  blob: Descriptor,
  deps: PullDeps,
): Promise<BlobOutcome> {
  const { store, actionsCache } = deps;
  const { digest, size } = blob;
  const tried: string[] = [];
  // A stored blob is verified on the next turn of the event loop, after the requests for the
  // blobs the store lacks have gone out: the download is what the pull waits for.
  if (store.has(digest)) await nextTurn();
  const check = await store.check(digest, size);
  if (check === 'ok') return { digest, size, source: 'store' };
  if (check === 'corrupt') {
    tried.push('the local store');
    deps.log.warning(
      `${digest} in the local store did not match its digest: removed, fetching it again`,
    );
  }
  if (actionsCache) {
    const restored = await actionsCache.restore(store, digest, size);
    if (restored === 'restored') return { digest, size, source: 'actions-cache' };
    if (restored === 'corrupt') tried.push('the Actions cache');
  }
  let lastMismatch = '';
  // A registry that sent bad bytes once gets one more chance: a proxy may have mangled them.
  for (let attempt = 0; attempt < 2; attempt++) {
    const temp = store.tempPath(digest);
    try {
      const download = await client.downloadBlob(repo, digest, size, temp);
      await store.commit(temp, digest);
      if (download.resumes > 0) {
        deps.log.info(`${digest}: resumed ${download.resumes} time(s) after broken connections`);
      }
      return { digest, size, source: 'registry' };
    } catch (err) {
      await rm(temp, { force: true });
      if (!(err instanceof DigestMismatchError)) throw err;
      lastMismatch = err.message;
      deps.log.warning(`${digest} from the registry did not verify (${err.message})`);
    }
  }
  tried.push('the registry');
  throw new BlobError(`digest mismatch after all sources (${tried.join(', ')}): ${lastMismatch}`);
}

export interface PullTotals {
  layersTotal: number;
  layersFromCache: number;
  layersFromRegistry: number;
  bytesFromCache: number;
  bytesFromRegistry: number;
  /** Blobs (configs and layers) this run fetched from the registry, to save to the Actions cache. */
  fetched: BlobOutcome[];
  cacheHit: 'full' | 'partial' | 'none';
}

/**
 * Counts over distinct blobs: a base layer shared by two images counts once. Layer counts are
 * layers; byte counts include the image configs.
 */
export function totals(images: readonly PulledImage[]): PullTotals {
  const layerDigests = new Set(images.flatMap((i) => i.layers.map((l) => l.digest)));
  const unique = new Map<string, BlobOutcome>();
  for (const image of images) for (const blob of image.blobs) unique.set(blob.digest, blob);
  const blobs = [...unique.values()];
  const layers = blobs.filter((b) => layerDigests.has(b.digest));
  const fromRegistry = (b: BlobOutcome) => b.source === 'registry';
  const fetched = blobs.filter(fromRegistry);
  const cached = blobs.length - fetched.length;
  return {
    layersTotal: layers.length,
    layersFromCache: layers.filter((b) => !fromRegistry(b)).length,
    layersFromRegistry: layers.filter(fromRegistry).length,
    bytesFromCache: blobs.filter((b) => !fromRegistry(b)).reduce((n, b) => n + b.size, 0),
    bytesFromRegistry: fetched.reduce((n, b) => n + b.size, 0),
    fetched,
    cacheHit: fetched.length === 0 ? 'full' : cached === 0 ? 'none' : 'partial',
  };
}

/** Every digest an image uses, manifests included: what eviction must keep. */
export function digestsInUse(images: readonly PulledImage[]): Set<string> {
  const used = new Set<string>();
  for (const image of images) {
    used.add(image.digest);
    used.add(image.manifest.digest);
    for (const blob of image.blobs) used.add(blob.digest);
  }
  return used;
}
