import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import * as cache from '@actions/cache';
import { messageOf } from '../../lib/errors.ts';
import type { Log } from '../../lib/log.ts';
import { linkOrCopy } from './files.ts';
import { limiter } from './limit.ts';
import type { BlobStore } from './store.ts';

/** One immutable Actions cache entry per blob: the key is the digest, so an entry never changes. */
export function cacheKey(digest: string): string {
  return `fargate-delivery-layer-cache-${digest.replace(':', '-')}`;
}

/**
 * The path a blob is saved from and restored to. The cache's version hashes the paths, so both
 * sides must spell it the same way: it depends on the digest and RUNNER_TEMP only.
 */
export function stagingPath(stagingRoot: string, digest: string): string {
  return path.join(stagingRoot, digest.replace(':', '-'));
}

export type RestoreOutcome = 'restored' | 'miss' | 'corrupt';

export interface ActionsBlobCacheOptions {
  /** Where entries are restored to and saved from (under RUNNER_TEMP). */
  stagingRoot: string;
  log: Log;
}

/** The GitHub Actions cache as the second source of blobs, after the local store. */
export class ActionsBlobCache {
  private readonly options: ActionsBlobCacheOptions;

  constructor(options: ActionsBlobCacheOptions) {
    this.options = options;
  }

  static available(): boolean {
    return cache.isFeatureAvailable();
  }

  /**
   * Restores a blob's entry and moves it into the store if it hashes to its digest. A bad entry
   * is reported `corrupt` and the caller goes on to the registry; an error talking to the cache
   * service is a miss, never a failed job.
   */
  async restore(store: BlobStore, digest: string, size: number): Promise<RestoreOutcome> {
    const file = stagingPath(this.options.stagingRoot, digest);
    await mkdir(path.dirname(file), { recursive: true });
    try {
      const hit = await cache.restoreCache([file], cacheKey(digest));
      if (!hit) return 'miss';
    } catch (err) {
      this.options.log.debug(`Actions cache restore of ${digest} failed: ${messageOf(err)}`);
      await rm(file, { force: true });
      return 'miss';
    }
    try {
      if (await store.adopt(file, digest, size)) return 'restored';
      this.options.log.warning(
        `Actions cache entry ${cacheKey(digest)} does not hash to ${digest}: ignored, fetching from the registry`,
      );
      return 'corrupt';
    } catch {
      return 'corrupt';
    } finally {
      await rm(file, { force: true });
    }
  }

  /**
   * Saves a stored blob as its own entry. The library logs and returns -1 when it cannot save,
   * including when another job already saved the same layer (entries are immutable).
   */
  async save(store: BlobStore, digest: string): Promise<boolean> {
    const file = stagingPath(this.options.stagingRoot, digest);
    await mkdir(path.dirname(file), { recursive: true });
    try {
      await linkOrCopy(store.pathOf(digest), file);
      return (await cache.saveCache([file], cacheKey(digest))) !== -1;
    } catch (err) {
      this.options.log.warning(`Could not save ${digest} to the Actions cache: ${messageOf(err)}`);
      return false;
    } finally {
      await rm(file, { force: true });
    }
  }

  /**
   * Saves blobs, a few at a time. Each is checked first: the output layout shares the store's
   * files, and a file changed since it was fetched must not become a cache entry. Nothing here
   * fails the job; a blob not saved is fetched from the registry next time.
   */
  async saveAll(
    store: BlobStore,
    blobs: ReadonlyArray<{ digest: string; size: number }>,
  ): Promise<{ saved: number; bytes: number }> {
    const limit = limiter(4);
    let saved = 0;
    let bytes = 0;
    await Promise.all(
      blobs.map(({ digest, size }) =>
        limit(async () => {
          if ((await store.check(digest, size)) !== 'ok') {
            this.options.log.warning(
              `${digest} changed in the local store since it was fetched: not saved to the Actions cache`,
            );
            return;
          }
          if (await this.save(store, digest)) {
            saved++;
            bytes += size;
          }
        }),
      ),
    );
    return { saved, bytes };
  }
}
