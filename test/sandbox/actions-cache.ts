// The GitHub Actions cache service as @actions/cache 6 speaks to it with ACTIONS_CACHE_SERVICE_V2
// set: Twirp JSON at `${ACTIONS_RESULTS_URL}twirp/github.actions.results.api.v1.CacheService/*`
// (CreateCacheEntry, FinalizeCacheEntryUpload, GetCacheEntryDownloadURL), authorised by the
// ACTIONS_RUNTIME_TOKEN's cache scopes, handing out SAS URLs to the blob storage beside it
// (blob-storage.ts). It runs on its own port so that it can go down (connection refused) while
// the rest of the sandbox stays up.
//
// What it holds to, from GitHub's documentation and the client's source:
// - an entry is (scope, key, version) and immutable: creating one that exists, or that another
//   job reserved and has not finalized within 24 hours, is 409 already_exists;
// - lookup per readable scope (the run's ref, then the base and default branches): exact key,
//   newest entry whose key starts with the key, then each restore key the same way; the version
//   must match;
// - the repository cap (10 GB by default) evicts the least recently used entries after a save;
//   entries unused for 7 days go; a download marks an entry used;
// - 200 new entries per minute per repository, then 429 with Retry-After.

import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  AZURE_BLOB_HOST,
  BLOB_ACCOUNT,
  BLOB_CONTAINER,
  BlobStorage,
  Link,
  StorageError,
  sendStorageError,
  type TruncateSpec,
} from './blob-storage.ts';
import type { FaultSpec, Faults } from './faults.ts';
import type { CallRecord, Clock } from './types.ts';

export type { TruncateSpec } from './blob-storage.ts';

const SERVICE = 'github.actions.results.api.v1.CacheService';
const GIB = 1024 ** 3;
const DAY = 24 * 3600 * 1000;
/** GitHub's documented retention: an entry not accessed for 7 days is removed. */
const UNUSED_TTL = 7 * DAY;
/** A reservation never finalized blocks its key for up to 24 hours (actions/cache#1541). */
const RESERVATION_TTL = DAY;
const PERMISSION_READ = 1;
const PERMISSION_WRITE = 2;

export interface ActionsCacheScenario {
  /** Repository cap in bytes (default 10 GiB); the least recently used entries go past it. */
  capBytes?: number;
  /** New entries allowed per minute before 429 (default 200, GitHub's limit). */
  uploadsPerMinute?: number;
  /**
   * `azure` (default): signed URLs name `<account>.blob.core.windows.net` and reach the sandbox
   * through HTTP_PROXY, so the client takes the Azure SDK download path it takes on GitHub.
   * `direct`: URLs name 127.0.0.1, and the client downloads with one plain GET.
   */
  blobEndpoint?: 'azure' | 'direct';
  /** Link rate for blob downloads, shared by all concurrent requests (default unlimited). */
  downloadBytesPerSecond?: number;
  /** Link rate for blob uploads (default unlimited). */
  uploadBytesPerSecond?: number;
  /** The ref the default token reads and writes (default `refs/heads/main`). */
  ref?: string;
  /** The repository's default branch, always readable (default `main`). */
  defaultBranch?: string;
}

export interface CacheScope {
  Scope: string;
  /** 1 read, 2 write, 3 both: the runtime token's `ac` claim. */
  Permission: number;
}

export interface TokenOptions {
  /** The ref of the run: `refs/heads/feature`, `refs/pull/7/merge`. */
  ref: string;
  /** A pull request's base ref, readable too. */
  base?: string;
  /** A token that may restore but never save (the service answers `cache write denied:`). */
  readOnly?: boolean;
}

export interface CacheEntry {
  id: number;
  key: string;
  version: string;
  scope: string;
  /** Simulated epoch ms. */
  createdAt: number;
  lastAccessedAt: number;
  /** Orders accesses within one millisecond. */
  accessSeq: number;
  finalized: boolean;
  sizeBytes: number;
  blob: string;
}

export interface LookupQuery {
  key: string;
  restoreKeys: readonly string[];
  version: string;
}

function newestFirst(a: CacheEntry, b: CacheEntry): number {
  return b.createdAt - a.createdAt || b.id - a.id;
}

/**
 * GitHub's cache key matching: in each readable scope in turn, an exact hit on the key, else the
 * newest entry whose key starts with it, else each restore key in order (exact, then newest
 * prefix). Only finalized entries of the same version count.
 */
export function findEntry(
  entries: readonly CacheEntry[],
  query: LookupQuery,
  scopes: readonly string[],
): CacheEntry | undefined {
  for (const scope of scopes) {
    const candidates = entries
      .filter((e) => e.finalized && e.scope === scope && e.version === query.version)
      .sort(newestFirst);
    for (const key of [query.key, ...query.restoreKeys]) {
      const hit =
        candidates.find((e) => e.key === key) ?? candidates.find((e) => e.key.startsWith(key));
      if (hit !== undefined) return hit;
    }
  }
  return undefined;
}

/** The least recently used finalized entries to remove so that the rest fit in `capBytes`. */
export function evictions(entries: readonly CacheEntry[], capBytes: number): CacheEntry[] {
  const kept = entries
    .filter((e) => e.finalized)
    .sort((a, b) => a.lastAccessedAt - b.lastAccessedAt || a.accessSeq - b.accessSeq);
  let total = kept.reduce((n, e) => n + e.sizeBytes, 0);
  const out: CacheEntry[] = [];
  for (const e of kept) {
    if (total <= capBytes) break;
    out.push(e);
    total -= e.sizeBytes;
  }
  return out;
}

/** Entries GitHub has dropped by `now`: unused for 7 days, or reserved and not finalized in 24 h. */
export function expired(entries: readonly CacheEntry[], now: number): CacheEntry[] {
  return entries.filter((e) =>
    e.finalized ? now - e.lastAccessedAt > UNUSED_TTL : now - e.createdAt > RESERVATION_TTL,
  );
}

/** Seconds until another upload fits under `limit` per minute, or undefined if one fits now. */
export function retryAfter(
  recent: readonly number[],
  now: number,
  limit: number,
): number | undefined {
  const inWindow = recent.filter((t) => now - t < 60_000).sort((a, b) => a - b);
  if (inWindow.length < limit) return undefined;
  const frees = inWindow[inWindow.length - limit]! + 60_000;
  return Math.max(1, Math.ceil((frees - now) / 1000));
}

/** The scopes a runtime token carries for a run on `ref`. */
export function scopesFor(options: TokenOptions, defaultBranch: string): CacheScope[] {
  const scopes: CacheScope[] = [
    {
      Scope: options.ref,
      Permission: options.readOnly ? PERMISSION_READ : PERMISSION_READ | PERMISSION_WRITE,
    },
  ];
  for (const ref of [options.base, `refs/heads/${defaultBranch}`]) {
    if (ref !== undefined && !scopes.some((s) => s.Scope === ref)) {
      scopes.push({ Scope: ref, Permission: PERMISSION_READ });
    }
  }
  return scopes;
}

/** A Twirp error: `{"code": ..., "msg": ...}` with the HTTP status Twirp maps the code to. */
class TwirpError extends Error {
  readonly code: string;
  readonly status: number;
  readonly headers: Record<string, string>;
  constructor(code: string, msg: string, headers: Record<string, string> = {}) {
    super(msg);
    this.code = code;
    this.status = TWIRP_STATUS[code] ?? 500;
    this.headers = headers;
  }
}

const TWIRP_STATUS: Record<string, number> = {
  invalid_argument: 400,
  malformed: 400,
  unauthenticated: 401,
  permission_denied: 403,
  bad_route: 404,
  not_found: 404,
  already_exists: 409,
  resource_exhausted: 429,
  internal: 500,
  unavailable: 503,
};

function twirpFault(fault: FaultSpec): TwirpError {
  if (fault.kind === 'throttle') {
    return new TwirpError('resource_exhausted', 'cache entry upload rate limit exceeded', {
      'retry-after': String(fault.retryAfter ?? 1),
    });
  }
  const status = fault.status ?? 503;
  const code = Object.entries(TWIRP_STATUS).find(([, s]) => s === status)?.[0] ?? 'internal';
  return new TwirpError(code, status === 503 ? 'service unavailable' : 'internal error');
}

function blobFault(fault: FaultSpec): StorageError {
  if (fault.kind === 'throttle') {
    return new StorageError(fault.status ?? 503, 'ServerBusy', 'The server is busy.', {
      'retry-after': String(fault.retryAfter ?? 1),
    });
  }
  const status = fault.status ?? 500;
  return status === 503
    ? new StorageError(503, 'ServerBusy', 'The server is busy.')
    : new StorageError(
        status,
        'InternalError',
        'The server encountered an internal error. Please retry the request.',
      );
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function base64url(value: string | Buffer): string {
  return Buffer.from(value).toString('base64url');
}

export interface ActionsCacheContext {
  clock: Clock;
  faults: Faults;
  record(call: CallRecord): void;
}

export interface CacheEntryView {
  id: number;
  key: string;
  version: string;
  scope: string;
  sizeBytes: number;
  finalized: boolean;
  createdAt: number;
  lastAccessedAt: number;
}

export interface ActionsCacheService {
  /** `http://127.0.0.1:PORT`: the results service, and the blob proxy in `azure` mode. */
  readonly endpoint: string;
  readonly port: number;
  /**
   * What @actions/cache needs to use the service: ACTIONS_CACHE_SERVICE_V2, ACTIONS_RESULTS_URL,
   * ACTIONS_RUNTIME_TOKEN, GITHUB_SERVER_URL (v2 is off on GHES), and in `azure` mode HTTP_PROXY
   * with NO_PROXY for loopback.
   */
  readonly env: Record<string, string>;
  /** A runtime token for a run on another ref, or one that may only read. */
  token(options: TokenOptions): string;
  entries(): CacheEntryView[];
  usedBytes(): number;
  setCap(bytes: number): void;
  setLink(rates: { downloadBytesPerSecond?: number; uploadBytesPerSecond?: number }): void;
  /** Bytes the blob storage received and sent. */
  traffic(): { uploaded: number; downloaded: number };
  truncateDownloads(spec: TruncateSpec | undefined): void;
  /** Flips a byte in the stored archive of the entry with this key. */
  corrupt(key: string): Promise<void>;
  /** Stops listening: every call is refused until `up()`. */
  down(): Promise<void>;
  up(): Promise<void>;
  stop(): Promise<void>;
  /** For process exit: closes sockets and removes the stored blobs without waiting. */
  stopNow(): void;
}

export async function startActionsCache(
  scenario: ActionsCacheScenario = {},
  ctx: ActionsCacheContext,
): Promise<ActionsCacheService> {
  const { clock, faults, record } = ctx;
  const mode = scenario.blobEndpoint ?? 'azure';
  const defaultBranch = scenario.defaultBranch ?? 'main';
  let cap = scenario.capBytes ?? 10 * GIB;
  const limit = scenario.uploadsPerMinute ?? 200;
  const secret = createHmac('sha256', randomUUID()).digest();
  const dir = mkdtempSync(join(tmpdir(), 'sandbox-actions-cache-'));
  const entries: CacheEntry[] = [];
  const uploads: number[] = [];
  let nextId = 1;
  let accessSeq = 0;
  let endpoint = '';
  const links = {
    download: new Link(scenario.downloadBytesPerSecond),
    upload: new Link(scenario.uploadBytesPerSecond),
  };

  const touch = (entry: CacheEntry) => {
    entry.lastAccessedAt = Math.floor(clock.now());
    entry.accessSeq = ++accessSeq;
  };
  const storage = new BlobStorage({
    dir,
    baseUrl: () => (mode === 'azure' ? `http://${AZURE_BLOB_HOST}` : `${endpoint}/${BLOB_ACCOUNT}`),
    ...links,
    onRead: (blob) => {
      const entry = entries.find((e) => e.blob === blob);
      if (entry !== undefined) touch(entry);
    },
  });

  const remove = (gone: readonly CacheEntry[]) => {
    for (const e of gone) {
      entries.splice(entries.indexOf(e), 1);
      storage.delete(e.blob);
    }
  };

  function token(options: TokenOptions): string {
    const now = Math.floor(Date.now() / 1000);
    const header = base64url(JSON.stringify({ typ: 'JWT', alg: 'HS256' }));
    const payload = base64url(
      JSON.stringify({
        iss: 'vstoken.actions.githubusercontent.com',
        aud: 'vso:sandbox',
        nbf: now - 60,
        exp: now + 6 * 3600,
        ac: JSON.stringify(scopesFor(options, defaultBranch)),
      }),
    );
    const sig = base64url(createHmac('sha256', secret).update(`${header}.${payload}`).digest());
    return `${header}.${payload}.${sig}`;
  }

  function scopesOf(req: IncomingMessage): CacheScope[] {
    const auth = req.headers.authorization ?? '';
    const [header = '', payload = '', sig = ''] = auth.replace(/^Bearer /, '').split('.');
    const expected = createHmac('sha256', secret).update(`${header}.${payload}`).digest();
    const given = Buffer.from(sig, 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new TwirpError('unauthenticated', 'invalid or missing runtime token');
    }
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as {
      exp: number;
      ac: string;
    };
    if (claims.exp * 1000 < Date.now()) {
      throw new TwirpError('unauthenticated', 'runtime token expired');
    }
    return JSON.parse(claims.ac) as CacheScope[];
  }

  function validKey(key: unknown, name: string): string {
    if (typeof key !== 'string' || key === '') {
      throw new TwirpError('invalid_argument', `${name} is required`);
    }
    if (key.length > 512) {
      throw new TwirpError('invalid_argument', `${name} must be at most 512 characters`);
    }
    if (key.includes(','))
      throw new TwirpError('invalid_argument', `${name} cannot contain commas`);
    return key;
  }

  function validVersion(version: unknown): string {
    if (typeof version !== 'string' || version === '') {
      throw new TwirpError('invalid_argument', 'version is required');
    }
    return version;
  }

  const methods: Record<string, (body: Record<string, unknown>, scopes: CacheScope[]) => unknown> =
    {
      CreateCacheEntry(body, scopes) {
        const key = validKey(body.key, 'key');
        const version = validVersion(body.version);
        const scope = scopes.find((s) => s.Permission & PERMISSION_WRITE)?.Scope;
        if (scope === undefined) {
          return { ok: false, message: 'cache write denied: token has no writable scopes' };
        }
        while (uploads.length > 0 && Date.now() - uploads[0]! >= 60_000) uploads.shift();
        const wait = retryAfter(uploads, Date.now(), limit);
        if (wait !== undefined) {
          throw new TwirpError(
            'resource_exhausted',
            `cache entry upload rate limit exceeded: at most ${limit} new entries per minute per repository`,
            { 'retry-after': String(wait) },
          );
        }
        if (entries.some((e) => e.scope === scope && e.key === key && e.version === version)) {
          throw new TwirpError(
            'already_exists',
            'cache entry with the same key, version, and scope already exists',
          );
        }
        const now = Math.floor(clock.now());
        const id = nextId++;
        const entry: CacheEntry = {
          id,
          key,
          version,
          scope,
          createdAt: now,
          lastAccessedAt: now,
          accessSeq: ++accessSeq,
          finalized: false,
          sizeBytes: 0,
          blob: `${id}-${randomUUID()}`,
        };
        entries.push(entry);
        uploads.push(Date.now());
        return { ok: true, signed_upload_url: storage.signedUrl(entry.blob, 'cw') };
      },

      FinalizeCacheEntryUpload(body, scopes) {
        const key = validKey(body.key, 'key');
        const version = validVersion(body.version);
        const scope = scopes.find((s) => s.Permission & PERMISSION_WRITE)?.Scope;
        if (scope === undefined) {
          return { ok: false, message: 'cache write denied: token has no writable scopes' };
        }
        const entry = entries.find(
          (e) => e.scope === scope && e.key === key && e.version === version,
        );
        if (entry === undefined) throw new TwirpError('not_found', 'cache entry not found');
        if (entry.finalized) {
          throw new TwirpError(
            'already_exists',
            'cache entry with the same key, version, and scope already exists',
          );
        }
        const uploaded = storage.size(entry.blob);
        if (uploaded === undefined) {
          return { ok: false, message: 'cache entry has not been uploaded' };
        }
        if (String(uploaded) !== String(body.size_bytes)) {
          return {
            ok: false,
            message: `cache entry size mismatch: uploaded ${uploaded} bytes, finalize says ${String(body.size_bytes)}`,
          };
        }
        entry.finalized = true;
        entry.sizeBytes = uploaded;
        touch(entry);
        storage.seal(entry.blob);
        remove(evictions(entries, cap));
        return { ok: true, entry_id: String(entry.id) };
      },

      GetCacheEntryDownloadURL(body, scopes) {
        const key = validKey(body.key, 'key');
        const restoreKeys = (Array.isArray(body.restore_keys) ? body.restore_keys : []).map(
          (k: unknown, i) => validKey(k, `restore_keys[${i}]`),
        );
        const version = validVersion(body.version);
        const readable = scopes.filter((s) => s.Permission & PERMISSION_READ).map((s) => s.Scope);
        if (readable.length === 0) {
          throw new TwirpError(
            'permission_denied',
            'cache read denied: token has no readable scopes',
          );
        }
        const hit = findEntry(entries, { key, restoreKeys, version }, readable);
        if (hit === undefined) return { ok: false, signed_download_url: '', matched_key: '' };
        touch(hit);
        return {
          ok: true,
          signed_download_url: storage.signedUrl(hit.blob, 'r'),
          matched_key: hit.key,
        };
      },
    };

  function sendTwirp(res: ServerResponse, status: number, body: unknown, headers = {}): void {
    const text = JSON.stringify(body);
    res.writeHead(status, {
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(text)),
      ...headers,
    });
    res.end(text);
  }

  function newCall(service: CallRecord['service'], operation: string, params: unknown): CallRecord {
    const call: CallRecord = {
      service,
      operation,
      time: clock.now(),
      realTime: Date.now(),
      params,
      status: 0,
    };
    record(call);
    return call;
  }

  async function handleTwirp(req: IncomingMessage, res: ServerResponse, path: string) {
    const raw = await readBody(req);
    const method = path.slice(`/twirp/${SERVICE}/`.length);
    let body: Record<string, unknown> = {};
    let malformed = false;
    try {
      body = raw.length === 0 ? {} : (JSON.parse(raw.toString('utf8')) as Record<string, unknown>);
    } catch {
      malformed = true;
    }
    const { key, version, restore_keys, size_bytes } = body;
    const call = newCall('actions-cache', method, { key, version, restore_keys, size_bytes });
    const decision = faults.decide('actions-cache', method);
    if (decision.applied.length > 0) call.fault = decision.applied.join(',');
    if (decision.latencyMs > 0) await sleep(decision.latencyMs);
    if (decision.fault?.kind === 'drop') {
      req.socket.destroy();
      return;
    }
    try {
      if (decision.fault !== undefined) throw twirpFault(decision.fault);
      const handler = path.startsWith(`/twirp/${SERVICE}/`) ? methods[method] : undefined;
      if (req.method !== 'POST' || handler === undefined) {
        throw new TwirpError('bad_route', `no handler for path "${path}"`);
      }
      if (malformed) throw new TwirpError('malformed', 'the json request could not be decoded');
      const scopes = scopesOf(req);
      remove(expired(entries, clock.now()));
      const result = handler(body, scopes);
      call.status = 200;
      sendTwirp(res, 200, result);
    } catch (e) {
      const error =
        e instanceof TwirpError ? e : new TwirpError('internal', `Simulator error: ${String(e)}`);
      call.status = error.status;
      sendTwirp(res, error.status, { code: error.code, msg: error.message }, error.headers);
    }
  }

  async function handleBlob(
    req: IncomingMessage,
    res: ServerResponse,
    blobPath: string,
    query: URLSearchParams,
  ) {
    const method = (req.method ?? 'GET').toUpperCase();
    const call = newCall('actions-cache-blob', method, {
      path: blobPath,
      range: req.headers['x-ms-range'] ?? req.headers.range,
      bytes: req.headers['content-length'],
    });
    try {
      const container = `${BLOB_CONTAINER}/`;
      if (!blobPath.startsWith(container) || blobPath.length === container.length) {
        throw new StorageError(404, 'ResourceNotFound', 'The specified resource does not exist.');
      }
      const operation = storage.operation(method, query);
      call.operation = operation;
      const decision = faults.decide('actions-cache-blob', operation);
      if (decision.applied.length > 0) call.fault = decision.applied.join(',');
      if (decision.latencyMs > 0) await sleep(decision.latencyMs);
      if (decision.fault?.kind === 'drop') {
        req.socket.destroy();
        return;
      }
      if (decision.fault !== undefined) throw blobFault(decision.fault);
      call.status = await storage.handle(
        operation,
        decodeURIComponent(blobPath.slice(container.length)),
        query,
        req,
        res,
      );
    } catch (e) {
      const error =
        e instanceof StorageError
          ? e
          : new StorageError(500, 'InternalError', `Simulator error: ${String(e)}`);
      call.status = error.status;
      if (res.headersSent) {
        res.destroy();
        return;
      }
      // The request body may still be arriving; Azure answers and closes.
      req.resume();
      sendStorageError(req, res, error);
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const target = req.url ?? '/';
    // In `azure` mode the client reaches the blob host through this server as its HTTP proxy:
    // the request line carries the absolute URL.
    if (/^https?:\/\//i.test(target)) {
      const url = new URL(target);
      if (url.hostname !== AZURE_BLOB_HOST) {
        sendTwirp(res, 502, { message: `the sandbox proxies only ${AZURE_BLOB_HOST}` });
        return;
      }
      await handleBlob(req, res, url.pathname.slice(1), url.searchParams);
      return;
    }
    const url = new URL(target, 'http://127.0.0.1');
    if (url.pathname.startsWith(`/${BLOB_ACCOUNT}/`)) {
      await handleBlob(req, res, url.pathname.slice(BLOB_ACCOUNT.length + 2), url.searchParams);
      return;
    }
    await handleTwirp(req, res, url.pathname);
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) sendTwirp(res, 500, { code: 'internal', msg: String(error) });
      else res.destroy();
    });
  });

  function listen(port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve((server.address() as AddressInfo).port);
      });
    });
  }

  function close(): Promise<void> {
    return new Promise((done) => {
      if (!server.listening) {
        done();
        return;
      }
      server.close(() => done());
      server.closeAllConnections();
    });
  }

  const port = await listen(0);
  endpoint = `http://127.0.0.1:${port}`;
  const env: Record<string, string> = {
    ACTIONS_CACHE_SERVICE_V2: 'True',
    ACTIONS_RESULTS_URL: `${endpoint}/`,
    ACTIONS_RUNTIME_TOKEN: token({ ref: scenario.ref ?? `refs/heads/${defaultBranch}` }),
    GITHUB_SERVER_URL: 'https://github.com',
    ...(mode === 'azure' ? { HTTP_PROXY: endpoint, NO_PROXY: '127.0.0.1,localhost,::1' } : {}),
  };
  let stopped = false;

  return {
    endpoint,
    port,
    env,
    token,
    entries: () => entries.map(({ accessSeq: _seq, blob: _blob, ...view }) => ({ ...view })),
    usedBytes: () => entries.filter((e) => e.finalized).reduce((n, e) => n + e.sizeBytes, 0),
    setCap(bytes) {
      cap = bytes;
      remove(evictions(entries, cap));
    },
    setLink(rates) {
      if ('downloadBytesPerSecond' in rates)
        links.download.bytesPerSecond = rates.downloadBytesPerSecond;
      if ('uploadBytesPerSecond' in rates) links.upload.bytesPerSecond = rates.uploadBytesPerSecond;
    },
    traffic: () => ({ ...storage.traffic }),
    truncateDownloads: (spec) => storage.truncateDownloads(spec),
    async corrupt(key) {
      const entry = entries.find((e) => e.key === key && e.finalized);
      if (entry === undefined) throw new Error(`no finalized cache entry with key ${key}`);
      await storage.corrupt(entry.blob);
    },
    down: close,
    async up() {
      if (!server.listening) await listen(port);
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await close();
      rmSync(dir, { recursive: true, force: true });
    },
    stopNow() {
      if (stopped) return;
      stopped = true;
      server.closeAllConnections();
      server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
