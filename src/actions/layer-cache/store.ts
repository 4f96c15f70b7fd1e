import { createHash, randomBytes } from 'node:crypto';
import {
  createReadStream,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { copyFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { sha256Digest } from './manifest.ts';

/** The digest and size of a file, read once from disk. */
export async function hashFile(file: string): Promise<{ digest: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { digest: `sha256:${hash.digest('hex')}`, size };
}

export type BlobCheck = 'ok' | 'missing' | 'corrupt';

/**
 * What the store knows about a blob it has hashed: the file as it was then, and when it was
 * last used (for LRU eviction).
 */
interface Seal {
  size: number;
  mtimeMs: number;
  ino: number;
  verifiedAt: number;
  usedAt: number;
}

/** A sealed blob whose file looks untouched is trusted this long before it is hashed again. */
export const REVERIFY_MS = 24 * 60 * 60 * 1000;

/** A tag's last known digest, so a warm run can ask the registry one HEAD and nothing more. */
export interface RefRecord {
  image: string;
  digest: string;
  updatedAt: string;
}

export interface EvictionResult {
  removed: number;
  freedBytes: number;
  totalBytes: number;
  /** Bytes this run needs, which are kept even when they alone exceed the budget. */
  keptBytes: number;
}

const STALE_TEMP_MS = 60 * 60 * 1000;

function isMissing(err: unknown): boolean {
  return (err as NodeJS.ErrnoException)?.code === 'ENOENT';
}

/**
 * A content-addressed directory of blobs (`sha256/<hex>`), seals (`verified/<hex>`), refs
 * (`refs/`) and partial downloads (`tmp/`). A blob enters only through a rename after its digest
 * and size matched, so a blob path never holds partial content. Its seal records the file's
 * inode, size and mtime when it was hashed: a blob whose file still matches its seal (and was
 * hashed within REVERIFY_MS) is trusted without reading 200 MB again; any write to the file
 * changes its mtime and makes the next check hash it, and a blob that stopped matching its
 * digest is deleted on sight.
 *
 * Blob contents, and small files nothing waits for (stored manifests, refs), are written through
 * the thread pool. What a pull waits on (stats, seals, renames, deletes, reading a ref or a
 * manifest) is a synchronous call: each takes microseconds on a local disk, less than a round
 * trip through the thread pool, which the blob writes keep busy.
 */
export class BlobStore {
  readonly root: string;
  readonly now: () => number;

  constructor(root: string, now: () => number = Date.now) {
    this.root = root;
    this.now = now;
  }

  static async open(root: string, now: () => number = Date.now): Promise<BlobStore> {
    const store = new BlobStore(path.resolve(root), now);
    for (const dir of ['sha256', 'verified', 'tmp', 'refs']) {
      mkdirSync(path.join(store.root, dir), { recursive: true });
    }
    store.removeStaleTemp();
    return store;
  }

  pathOf(digest: string): string {
    return path.join(this.root, 'sha256', digest.slice('sha256:'.length));
  }

  /** Whether a file for the blob is there, unverified. */
  has(digest: string): boolean {
    return existsSync(this.pathOf(digest));
  }

  /** A fresh temp path on the store's filesystem, so committing it is an atomic rename. */
  tempPath(digest: string): string {
    const hex = digest.slice('sha256:'.length, 'sha256:'.length + 16);
    return path.join(this.root, 'tmp', `${hex}.${randomBytes(6).toString('hex')}.part`);
  }

  private sealPath(digest: string): string {
    return path.join(this.root, 'verified', digest.slice('sha256:'.length));
  }

  private readSeal(digest: string): Seal | undefined {
    try {
      return JSON.parse(readFileSync(this.sealPath(digest), 'utf8')) as Seal;
    } catch {
      return undefined;
    }
  }

  /** Records that the blob's file, as it is now, hashed to its digest. */
  private seal(digest: string, verifiedAt = this.now()): void {
    const info = statSync(this.pathOf(digest));
    const seal: Seal = {
      size: info.size,
      mtimeMs: info.mtimeMs,
      ino: info.ino,
      verifiedAt,
      usedAt: this.now(),
    };
    writeFileSync(this.sealPath(digest), JSON.stringify(seal));
  }

  /**
   * Checks a stored blob: trusted when its file matches its recent seal, hashed otherwise. A blob
   * that no longer matches its digest is deleted and reported corrupt.
   */
  async check(digest: string, size: number): Promise<BlobCheck> {
    const file = this.pathOf(digest);
    let info: ReturnType<typeof statSync>;
    try {
      info = statSync(file);
    } catch (err) {
      if (isMissing(err)) return 'missing';
      throw err;
    }
    if (info.size === size) {
      const seal = this.readSeal(digest);
      if (
        seal &&
        seal.size === size &&
        seal.ino === info.ino &&
        seal.mtimeMs === info.mtimeMs &&
        this.now() - seal.verifiedAt < REVERIFY_MS
      ) {
        this.seal(digest, seal.verifiedAt);
        return 'ok';
      }
      const actual = await hashFile(file);
      if (actual.digest === digest && actual.size === size) {
        this.seal(digest);
        return 'ok';
      }
    }
    this.remove(digest);
    return 'corrupt';
  }

  private remove(digest: string): void {
    rmSync(this.pathOf(digest), { force: true });
    rmSync(this.sealPath(digest), { force: true });
  }

  /** A small stored blob (a manifest), verified; undefined when absent or not matching. */
  async readVerified(digest: string): Promise<Buffer | undefined> {
    let bytes: Buffer;
    try {
      bytes = readFileSync(this.pathOf(digest));
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw err;
    }
    if (sha256Digest(bytes) !== digest) {
      this.remove(digest);
      return undefined;
    }
    this.seal(digest);
    return bytes;
  }

  /** Stores bytes already verified against `digest` by the caller. */
  async putBytes(digest: string, bytes: Buffer): Promise<void> {
    const temp = this.tempPath(digest);
    // Through the thread pool: nothing waits on this write but the end of the pull.
    await writeFile(temp, bytes);
    await this.commit(temp, digest);
  }

  /** Moves a temp file whose content the caller verified into place. */
  async commit(temp: string, digest: string): Promise<void> {
    renameSync(temp, this.pathOf(digest));
    this.seal(digest);
  }

  /**
   * Takes a file from elsewhere (an Actions cache restore) if its content is `digest`; returns
   * false, leaving the store untouched, when it is not.
   */
  async adopt(file: string, digest: string, size: number): Promise<boolean> {
    const actual = await hashFile(file);
    if (actual.digest !== digest || actual.size !== size) return false;
    const temp = this.tempPath(digest);
    try {
      renameSync(file, temp);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
      await copyFile(file, temp);
      // The copy crossed filesystems: check what landed, not what was read.
      const copied = await hashFile(temp);
      if (copied.digest !== digest) {
        await rm(temp, { force: true });
        return false;
      }
    }
    await this.commit(temp, digest);
    return true;
  }

  async readRef(key: string): Promise<RefRecord | undefined> {
    try {
      const record = JSON.parse(readFileSync(this.refPath(key), 'utf8')) as RefRecord;
      return typeof record.digest === 'string' ? record : undefined;
    } catch {
      return undefined;
    }
  }

  async writeRef(key: string, record: RefRecord): Promise<void> {
    const temp = path.join(this.root, 'tmp', `ref.${randomBytes(6).toString('hex')}.part`);
    // Through the thread pool: nothing waits on this write but the end of the pull.
    await writeFile(temp, `${JSON.stringify(record)}\n`);
    renameSync(temp, this.refPath(key));
  }

  private refPath(key: string): string {
    return path.join(this.root, 'refs', `${sha256Digest(key).slice(7)}.json`);
  }

  /**
   * Deletes least recently used blobs until the store fits in `maxBytes`, never one in `keep`
   * (what this run uses), even when those alone exceed the budget.
   */
  async evict(maxBytes: number, keep: ReadonlySet<string>): Promise<EvictionResult> {
    const dir = path.join(this.root, 'sha256');
    const blobs = readdirSync(dir).flatMap((name) => {
      try {
        const info = statSync(path.join(dir, name));
        return [{ digest: `sha256:${name}`, size: info.size, usedAt: info.mtimeMs }];
      } catch (err) {
        if (!isMissing(err)) throw err;
        return [];
      }
    });
    let totalBytes = blobs.reduce((sum, b) => sum + b.size, 0);
    const keptBytes = blobs.filter((b) => keep.has(b.digest)).reduce((sum, b) => sum + b.size, 0);
    let removed = 0;
    let freedBytes = 0;
    if (totalBytes <= maxBytes) return { removed, freedBytes, totalBytes, keptBytes };
    // Over budget: when each blob was last used is in its seal.
    for (const blob of blobs) {
      const seal = this.readSeal(blob.digest);
      if (seal) blob.usedAt = seal.usedAt;
    }
    blobs.sort((a, b) => a.usedAt - b.usedAt);
    for (const blob of blobs) {
      if (totalBytes <= maxBytes) break;
      if (keep.has(blob.digest)) continue;
      this.remove(blob.digest);
      totalBytes -= blob.size;
      freedBytes += blob.size;
      removed++;
    }
    return { removed, freedBytes, totalBytes, keptBytes };
  }

  private removeStaleTemp(): void {
    const dir = path.join(this.root, 'tmp');
    for (const name of readdirSync(dir)) {
      const file = path.join(dir, name);
      try {
        if (this.now() - statSync(file).mtimeMs > STALE_TEMP_MS) rmSync(file, { force: true });
      } catch (err) {
        if (!isMissing(err)) throw err;
      }
    }
  }
}
