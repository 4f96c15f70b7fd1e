// The Actions cache service and its blob storage on the wire: the Twirp and Azure Storage answers
// a client gets for requests the @actions/cache client does not make on its own (bad tokens,
// bad SAS, bad ranges), and the decisions behind the service as pure functions.

import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type CacheEntry,
  evictions,
  expired,
  findEntry,
  retryAfter,
  scopesFor,
} from './actions-cache.ts';
import { AZURE_BLOB_HOST, parseRange } from './blob-storage.ts';
import { type Sandbox, startSandbox } from './server.ts';

const DAY = 24 * 3600_000;
const TWIRP = 'twirp/github.actions.results.api.v1.CacheService';

function entry(over: Partial<CacheEntry> & Pick<CacheEntry, 'id' | 'key'>): CacheEntry {
  return {
    version: 'v1',
    scope: 'refs/heads/main',
    createdAt: over.id * 1000,
    lastAccessedAt: over.id * 1000,
    accessSeq: over.id,
    finalized: true,
    sizeBytes: 100,
    blob: `b${over.id}`,
    ...over,
  };
}

describe('cache key matching (findEntry)', () => {
  const entries = [
    entry({ id: 1, key: 'npm-linux-abc' }),
    entry({ id: 2, key: 'npm-linux-def' }),
    entry({ id: 3, key: 'npm-linux-ghi', finalized: false }),
    entry({ id: 4, key: 'npm-linux-xyz', version: 'v2' }),
    entry({ id: 5, key: 'npm-mac-abc', scope: 'refs/heads/feature' }),
    entry({ id: 6, key: 'npm-linux-abc', scope: 'refs/heads/feature', createdAt: 0 }),
    entry({ id: 7, key: 'npm-linux-abc-2' }),
  ];
  const main = ['refs/heads/main'];
  const feature = ['refs/heads/feature', 'refs/heads/main'];

  it.each([
    ['the exact key', 'npm-linux-abc', [], main, 1],
    ['the newest entry the key is a prefix of', 'npm-linux-', [], main, 7],
    ['an exact key before a newer prefix match', 'npm-linux-abc', ['npm-'], main, 1],
    ['the first restore key that matches', 'none', ['npm-mac-', 'npm-linux-'], main, 7],
    ['an exact restore key before a newer prefix match', 'none', ['npm-linux-abc'], main, 1],
    [
      'nothing unfinalized or of another version',
      'npm-linux-ghi',
      ['npm-linux-xyz'],
      main,
      undefined,
    ],
    ['nothing from a scope the token cannot read', 'npm-mac-abc', [], main, undefined],
    [
      'the run’s own scope first, even over an exact key elsewhere',
      'npm-linux-abc',
      [],
      feature,
      6,
    ],
    [
      'a restore key in the own scope before the key elsewhere',
      'npm-linux-def',
      ['npm-'],
      feature,
      5,
    ],
    ['the default branch when the own scope has nothing', 'npm-linux-d', [], feature, 2],
  ])('finds %s', (_what, key, restoreKeys, scopes, id) => {
    expect(findEntry(entries, { key, restoreKeys, version: 'v1' }, scopes)?.id).toBe(id);
  });
});

describe('retention', () => {
  it('evicts the least recently used finalized entries until the rest fit the cap', () => {
    const es = [
      entry({ id: 1, key: 'a', lastAccessedAt: 50, sizeBytes: 400 }),
      entry({ id: 2, key: 'b', lastAccessedAt: 10, sizeBytes: 300 }),
      entry({ id: 3, key: 'c', lastAccessedAt: 10, accessSeq: 9, sizeBytes: 300 }),
      entry({ id: 4, key: 'd', lastAccessedAt: 1, finalized: false, sizeBytes: 900 }),
    ];
    expect(evictions(es, 1000).map((e) => e.key)).toEqual([]);
    expect(evictions(es, 999).map((e) => e.key)).toEqual(['b']);
    expect(evictions(es, 400).map((e) => e.key)).toEqual(['b', 'c']);
    expect(evictions(es, 0).map((e) => e.key)).toEqual(['b', 'c', 'a']);
  });

  it('drops entries unused for 7 days and reservations not finalized within 24 hours', () => {
    const now = 100 * DAY;
    const es = [
      entry({ id: 1, key: 'used-6d', lastAccessedAt: now - 6 * DAY }),
      entry({ id: 2, key: 'unused-8d', lastAccessedAt: now - 8 * DAY }),
      entry({ id: 3, key: 'reserved-23h', finalized: false, createdAt: now - DAY + 3600_000 }),
      entry({ id: 4, key: 'reserved-25h', finalized: false, createdAt: now - DAY - 3600_000 }),
    ];
    expect(expired(es, now).map((e) => e.key)).toEqual(['unused-8d', 'reserved-25h']);
  });

  it('tells a client over the uploads-per-minute limit when the oldest upload leaves the window', () => {
    expect(retryAfter([0, 1000], 2000, 3)).toBeUndefined();
    expect(retryAfter([0, 1000, 1500], 2000, 3)).toBe(58);
    expect(retryAfter([0, 1000, 1500], 60_500, 3)).toBeUndefined();
    expect(retryAfter([59_999, 0], 60_000, 1)).toBe(60);
  });

  it('gives a run write access to its own ref and read access to its base and the default branch', () => {
    expect(scopesFor({ ref: 'refs/heads/main' }, 'main')).toEqual([
      { Scope: 'refs/heads/main', Permission: 3 },
    ]);
    expect(
      scopesFor({ ref: 'refs/pull/7/merge', base: 'refs/heads/release', readOnly: true }, 'main'),
    ).toEqual([
      { Scope: 'refs/pull/7/merge', Permission: 1 },
      { Scope: 'refs/heads/release', Permission: 1 },
      { Scope: 'refs/heads/main', Permission: 1 },
    ]);
  });
});

describe('byte ranges (parseRange)', () => {
  it.each([
    ['bytes=0-99', 1000, { start: 0, end: 99 }],
    ['bytes=900-', 1000, { start: 900, end: 999 }],
    ['bytes=900-5000', 1000, { start: 900, end: 999 }],
    ['bytes=-100', 1000, { start: 900, end: 999 }],
    ['bytes=1000-', 1000, undefined],
    ['bytes=5-4', 1000, undefined],
    ['items=0-1', 1000, undefined],
    ['bytes=0-0', 0, undefined],
  ])('%s of %i bytes', (header, size, range) => {
    expect(parseRange(header, size)).toEqual(range);
  });
});

describe('on the wire', () => {
  const sandboxes: Sandbox[] = [];
  afterEach(async () => {
    await Promise.all(sandboxes.splice(0).map((s) => s.stop()));
  });

  async function service(blobEndpoint: 'azure' | 'direct' = 'direct') {
    const sb = await startSandbox({ actionsCache: { blobEndpoint } }, { registry: false });
    sandboxes.push(sb);
    const base = sb.env.ACTIONS_RESULTS_URL!;
    /** `token` null sends no Authorization header. */
    const twirp = (
      method: string,
      body: unknown,
      token: string | null = sb.env.ACTIONS_RUNTIME_TOKEN!,
    ) =>
      fetch(`${base}${TWIRP}/${method}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(token !== null ? { authorization: `Bearer ${token}` } : {}),
        },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      });
    /** A reserved entry's upload URL. */
    const reserve = async (key: string) => {
      const res = await twirp('CreateCacheEntry', { key, version: 'v1' });
      return ((await res.json()) as { signed_upload_url: string }).signed_upload_url;
    };
    const putBlob = (url: string, body: string, headers: Record<string, string> = {}) =>
      fetch(url, { method: 'PUT', headers: { 'x-ms-blob-type': 'BlockBlob', ...headers }, body });
    return { sb, twirp, reserve, putBlob };
  }

  it('answers Twirp errors as {code, msg} with Twirp’s statuses', async () => {
    const { twirp } = await service();
    const cases = [
      [
        await twirp('GetCacheEntryDownloadURL', { key: 'k', version: 'v1' }, 'not-a-token'),
        401,
        'unauthenticated',
      ],
      [
        await twirp('GetCacheEntryDownloadURL', { key: 'k', version: 'v1' }, null),
        401,
        'unauthenticated',
      ],
      [await twirp('DeleteCacheEntry', { key: 'k' }), 404, 'bad_route'],
      [await twirp('CreateCacheEntry', '{"key":'), 400, 'malformed'],
      [await twirp('CreateCacheEntry', { key: 'a,b', version: 'v1' }), 400, 'invalid_argument'],
      [
        await twirp('CreateCacheEntry', { key: 'k'.repeat(513), version: 'v1' }),
        400,
        'invalid_argument',
      ],
      [await twirp('CreateCacheEntry', { key: 'k' }), 400, 'invalid_argument'],
      [
        await twirp('FinalizeCacheEntryUpload', { key: 'k', version: 'v1', size_bytes: '1' }),
        404,
        'not_found',
      ],
    ] as const;
    for (const [res, status, code] of cases) {
      expect([res.status, ((await res.json()) as { code: string }).code]).toEqual([status, code]);
    }
  });

  it('answers a miss with ok false, and a finalize before the upload with ok false and why', async () => {
    const { twirp } = await service();
    const miss = await twirp('GetCacheEntryDownloadURL', {
      key: 'k',
      restore_keys: ['k-'],
      version: 'v1',
    });
    expect(await miss.json()).toEqual({ ok: false, signed_download_url: '', matched_key: '' });

    const created = await twirp('CreateCacheEntry', { key: 'k', version: 'v1' });
    expect(await created.json()).toEqual({ ok: true, signed_upload_url: expect.any(String) });
    const early = await twirp('FinalizeCacheEntryUpload', {
      key: 'k',
      version: 'v1',
      size_bytes: '5',
    });
    expect(await early.json()).toEqual({ ok: false, message: 'cache entry has not been uploaded' });
  });

  it('hands out SAS URLs on the Azure host in azure mode', async () => {
    const { sb, reserve } = await service('azure');
    const url = new URL(await reserve('k'));
    expect(url.origin).toBe(`http://${AZURE_BLOB_HOST}`);
    expect(url.pathname).toMatch(/^\/actions-cache\/1-/);
    expect([...url.searchParams.keys()].sort()).toEqual(['se', 'sig', 'sp', 'sr', 'sv']);
    expect(url.searchParams.get('sp')).toBe('cw');
    expect(sb.env.HTTP_PROXY).toBe(sb.actionsCache!.endpoint);
  });

  it('refuses blob requests without a valid SAS, or beyond its permissions, the Azure way', async () => {
    const { twirp, reserve, putBlob } = await service();
    const upload = await reserve('k');
    const unsigned = new URL(upload);
    unsigned.search = '';
    const tampered = new URL(upload);
    tampered.searchParams.set('sp', 'rcw');

    const untyped = await fetch(upload, { method: 'PUT', body: 'x' });
    expect([untyped.status, untyped.headers.get('x-ms-error-code')]).toEqual([
      400,
      'MissingRequiredHeader',
    ]);
    for (const url of [unsigned.href, tampered.href]) {
      const res = await putBlob(url, 'x');
      expect(res.status).toBe(403);
      expect(res.headers.get('x-ms-error-code')).toBe('AuthenticationFailed');
      expect(await res.text()).toContain('<Code>AuthenticationFailed</Code>');
    }
    expect((await putBlob(upload, 'hello', {})).status).toBe(201);
    await twirp('FinalizeCacheEntryUpload', { key: 'k', version: 'v1', size_bytes: '5' });
    const download = (await (
      await twirp('GetCacheEntryDownloadURL', { key: 'k', version: 'v1' })
    ).json()) as { signed_download_url: string };
    const write = await putBlob(download.signed_download_url, 'x');
    expect([write.status, write.headers.get('x-ms-error-code')]).toEqual([
      403,
      'AuthorizationPermissionMismatch',
    ]);
  });

  it('serves ranges with Content-Range, 416 past the end, 412 on a stale ETag, and no body on a failed HEAD', async () => {
    const { twirp, reserve, putBlob } = await service();
    const upload = await reserve('k');
    const put = await putBlob(upload, '0123456789');
    expect(put.headers.get('content-md5')).toBe('eB5eJF1ptWaXm4bijSPyxw==');
    await twirp('FinalizeCacheEntryUpload', { key: 'k', version: 'v1', size_bytes: '10' });
    const { signed_download_url: url } = (await (
      await twirp('GetCacheEntryDownloadURL', { key: 'k', version: 'v1' })
    ).json()) as { signed_download_url: string };

    const head = await fetch(url, { method: 'HEAD' });
    expect([
      head.status,
      head.headers.get('content-length'),
      head.headers.get('x-ms-blob-type'),
    ]).toEqual([200, '10', 'BlockBlob']);
    const etag = head.headers.get('etag')!;
    const part = await fetch(url, { headers: { 'x-ms-range': 'bytes=2-5', 'if-match': etag } });
    expect([part.status, part.headers.get('content-range'), await part.text()]).toEqual([
      206,
      'bytes 2-5/10',
      '2345',
    ]);
    const past = await fetch(url, { headers: { range: 'bytes=10-' } });
    expect([
      past.status,
      past.headers.get('x-ms-error-code'),
      past.headers.get('content-range'),
    ]).toEqual([416, 'InvalidRange', 'bytes */10']);
    const stale = await fetch(url, { headers: { 'if-match': '"0x1"' } });
    expect([stale.status, stale.headers.get('x-ms-error-code')]).toEqual([412, 'ConditionNotMet']);
    const sealed = await putBlob(upload, 'overwrite');
    expect([sealed.status, sealed.headers.get('x-ms-error-code')]).toEqual([
      409,
      'BlobImmutableDueToPolicy',
    ]);

    // The signature covers the path: another blob's name fails before the lookup.
    const other = new URL(url);
    other.pathname = '/sandboxcache/actions-cache/nothing-here';
    const missing = await fetch(other, { method: 'HEAD' });
    expect([missing.status, missing.headers.get('x-ms-error-code'), await missing.text()]).toEqual([
      403,
      'AuthenticationFailed',
      '',
    ]);
  });

  it('commits staged blocks in the order of the block list, and refuses a list naming an unknown block', async () => {
    const { twirp, reserve } = await service();
    const upload = await reserve('k');
    const block = (id: string, body: string) => {
      const u = new URL(upload);
      u.searchParams.set('comp', 'block');
      u.searchParams.set('blockid', Buffer.from(id).toString('base64'));
      return fetch(u, { method: 'PUT', body });
    };
    const list = (ids: string[]) => {
      const u = new URL(upload);
      u.searchParams.set('comp', 'blocklist');
      const xml = `<?xml version="1.0" encoding="utf-8"?><BlockList>${ids
        .map((id) => `<Latest>${Buffer.from(id).toString('base64')}</Latest>`)
        .join('')}</BlockList>`;
      return fetch(u, { method: 'PUT', body: xml });
    };
    expect((await block('b-0001', 'world')).status).toBe(201);
    expect((await block('b-0000', 'hello ')).status).toBe(201);
    const unknown = await list(['b-0000', 'b-0009']);
    expect([unknown.status, unknown.headers.get('x-ms-error-code')]).toEqual([
      400,
      'InvalidBlockList',
    ]);
    expect((await list(['b-0000', 'b-0001'])).status).toBe(201);
    await twirp('FinalizeCacheEntryUpload', { key: 'k', version: 'v1', size_bytes: '11' });
    const { signed_download_url: url } = (await (
      await twirp('GetCacheEntryDownloadURL', { key: 'k', version: 'v1' })
    ).json()) as { signed_download_url: string };
    expect(await (await fetch(url)).text()).toBe('hello world');
  });

  it('as the proxy, passes only the blob host', async () => {
    const { sb } = await service('azure');
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port: sb.actionsCache!.port, path: 'http://example.com/x' },
        (r) => {
          r.resume();
          resolve(r.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(502);
  });
});
