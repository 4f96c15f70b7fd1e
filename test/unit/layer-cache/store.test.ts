import { existsSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sha256Digest } from '../../../src/actions/layer-cache/manifest.ts';
import { BlobStore, REVERIFY_MS } from '../../../src/actions/layer-cache/store.ts';

let dir: string;
let clock: number;
let store: BlobStore;

beforeEach(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'layer-cache-store-'));
  clock = Date.parse('2025-01-01T00:00:00Z');
  store = await BlobStore.open(dir, () => clock);
});

afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function put(text: string): Promise<{ digest: string; size: number }> {
  const bytes = Buffer.from(text);
  const digest = sha256Digest(bytes);
  await store.putBytes(digest, bytes);
  return { digest, size: bytes.length };
}

describe('verifying stored blobs', () => {
  it('a blob that still hashes to its digest is ok', async () => {
    const blob = await put('layer one');
    expect(await store.check(blob.digest, blob.size)).toBe('ok');
  });

  it('a blob changed on disk is deleted and reported corrupt, never served', async () => {
    const blob = await put('layer one');
    writeFileSync(store.pathOf(blob.digest), 'layer ONE');
    expect(await store.check(blob.digest, blob.size)).toBe('corrupt');
    expect(existsSync(store.pathOf(blob.digest))).toBe(false);
  });

  it('a blob is hashed again after a day, so damage that left its mtime alone is still found', async () => {
    const blob = await put('layer one');
    const file = store.pathOf(blob.digest);
    const second = Math.floor(clock / 1000) - 60;
    utimesSync(file, second, second);
    expect(await store.check(blob.digest, blob.size)).toBe('ok');
    writeFileSync(file, 'layer ONE');
    utimesSync(file, second, second);

    clock += REVERIFY_MS + 1;

    expect(await store.check(blob.digest, blob.size)).toBe('corrupt');
  });

  it('a blob of the wrong size is corrupt without being read', async () => {
    const blob = await put('layer one');
    expect(await store.check(blob.digest, blob.size + 1)).toBe('corrupt');
  });

  it('an absent blob is missing', async () => {
    expect(await store.check(sha256Digest('nothing'), 7)).toBe('missing');
  });

  it('takes a file from elsewhere only when its content is the digest', async () => {
    const good = path.join(dir, 'good');
    const bad = path.join(dir, 'bad');
    writeFileSync(good, 'restored layer');
    writeFileSync(bad, 'restored layer, tampered');
    const digest = sha256Digest('restored layer');

    expect(await store.adopt(bad, digest, 14)).toBe(false);
    expect(await store.check(digest, 14)).toBe('missing');
    expect(await store.adopt(good, digest, 14)).toBe(true);
    expect(readFileSync(store.pathOf(digest), 'utf8')).toBe('restored layer');
  });

  it('a stored manifest that no longer matches is not returned', async () => {
    const blob = await put('{"schemaVersion":2}');
    writeFileSync(store.pathOf(blob.digest), '{"schemaVersion":3}');
    expect(await store.readVerified(blob.digest)).toBeUndefined();
  });
});

describe('least-recently-used eviction', () => {
  async function useAt(minutes: number, text: string) {
    clock = Date.parse('2025-01-01T00:00:00Z') + minutes * 60_000;
    const blob = await put(text);
    return blob;
  }

  it('evicts the blobs used longest ago until the store fits its budget', async () => {
    const oldest = await useAt(1, 'a'.repeat(100));
    const middle = await useAt(2, 'b'.repeat(100));
    const newest = await useAt(3, 'c'.repeat(100));

    const result = await store.evict(200, new Set());

    expect(result).toMatchObject({ removed: 1, freedBytes: 100, totalBytes: 200 });
    expect(await store.check(oldest.digest, 100)).toBe('missing');
    expect(await store.check(middle.digest, 100)).toBe('ok');
    expect(await store.check(newest.digest, 100)).toBe('ok');
  });

  it('a blob used again is kept over one stored later but not used since', async () => {
    const first = await useAt(1, 'a'.repeat(100));
    const second = await useAt(2, 'b'.repeat(100));
    clock += 60_000;
    expect(await store.check(first.digest, 100)).toBe('ok');

    await store.evict(100, new Set());

    expect(await store.check(first.digest, 100)).toBe('ok');
    expect(await store.check(second.digest, 100)).toBe('missing');
  });

  it('never evicts what this run uses, even past the budget', async () => {
    const used = await useAt(1, 'a'.repeat(100));
    const unused = await useAt(2, 'b'.repeat(100));

    const result = await store.evict(50, new Set([used.digest]));

    expect(await store.check(used.digest, 100)).toBe('ok');
    expect(await store.check(unused.digest, 100)).toBe('missing');
    expect(result.keptBytes).toBe(100);
  });
});

describe('housekeeping', () => {
  it('removes partial downloads left by a run that died more than an hour ago', async () => {
    const stale = path.join(dir, 'tmp', 'abc.part');
    const fresh = path.join(dir, 'tmp', 'def.part');
    writeFileSync(stale, 'x');
    writeFileSync(fresh, 'x');
    const twoHoursAgo = (clock - 2 * 3600_000) / 1000;
    utimesSync(stale, twoHoursAgo, twoHoursAgo);
    utimesSync(fresh, clock / 1000, clock / 1000);

    await BlobStore.open(dir, () => clock);

    expect(existsSync(stale)).toBe(false);
    expect(existsSync(fresh)).toBe(true);
  });
});
