// Azure Blob Storage, as much of it as @actions/cache 6 uses behind the signed URLs the Actions
// cache service hands out: Put Blob and Put Block + Put Block List to upload (the SDK's
// BlockBlobClient.uploadFile), Get Blob Properties and ranged Get Blob to download (its
// downloadToBuffer, or one plain GET from @actions/http-client). Access is by service SAS in the
// query string. A blob lives in files under a temp dir: a committed blob is the ordered list of
// its blocks' files, so committing never copies bytes.

import { createHash, createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { open, rm } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';

export const BLOB_ACCOUNT = 'sandboxcache';
export const BLOB_CONTAINER = 'actions-cache';
/**
 * @actions/cache downloads through the Azure SDK only when the URL's host ends in
 * `.blob.core.windows.net` (lib/internal/cacheHttpClient.js:104); any other host gets one plain GET.
 */
export const AZURE_BLOB_HOST = `${BLOB_ACCOUNT}.blob.core.windows.net`;
const SERVICE_VERSION = '2025-11-05';
const READ_CHUNK = 256 * 1024;
const LINK_BURST_MS = 100;

export type BlobOperation =
  | 'PutBlob'
  | 'PutBlock'
  | 'PutBlockList'
  | 'GetBlob'
  | 'GetBlobProperties';

/** An error answered the Azure Storage way: status, `x-ms-error-code` and an XML body. */
export class StorageError extends Error {
  readonly status: number;
  readonly code: string;
  readonly headers: Record<string, string>;
  constructor(status: number, code: string, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.headers = headers;
  }
}

/**
 * A link of fixed rate shared by every transfer in one direction, like the runner's network:
 * concurrent range requests split it rather than each getting the full rate.
 */
export class Link {
  bytesPerSecond: number | undefined;
  #freeAt = 0;

  constructor(bytesPerSecond?: number) {
    this.bytesPerSecond = bytesPerSecond;
  }

  /**
   * Resolves when `bytes` have gone through the link after everything queued before them. A
   * token bucket 100 ms deep: a timer that fires late on a loaded machine does not lower the rate.
   */
  async take(bytes: number): Promise<void> {
    const rate = this.bytesPerSecond;
    if (rate === undefined || rate <= 0) return;
    const now = performance.now();
    this.#freeAt = Math.max(now - LINK_BURST_MS, this.#freeAt) + (bytes * 1000) / rate;
    const wait = this.#freeAt - now;
    if (wait >= 1) await sleep(wait);
  }
}

/** Cut download bodies short: the response promises the full length and the socket closes early. */
export interface TruncateSpec {
  /** Truncate this many responses, then stop (default: every one). */
  count?: number;
  /** Let this many Get Blob responses through first. */
  after?: number;
  /** Share of each response body sent before the connection drops (default 0.5). */
  fraction?: number;
}

interface Segment {
  file: string;
  size: number;
  /** The block id, for blocks committed by Put Block List. */
  id?: string;
}

interface Blob {
  segments: Segment[];
  size: number;
  etag: string;
  lastModified: Date;
  createdOn: Date;
  /** Put Blob stores the body's MD5; Put Block List does not (as in Azure). */
  md5?: string;
  /** Once the cache entry is finalized its blob takes no more writes. */
  sealed: boolean;
}

export interface BlobStorageOptions {
  dir: string;
  /** Where signed URLs point: `http://<account>.blob.core.windows.net` or `http://127.0.0.1:PORT/<account>`. */
  baseUrl(): string;
  download: Link;
  upload: Link;
  /** Called when a blob's bytes are read, so the cache can mark the entry used. */
  onRead?(blob: string): void;
}

export interface RangeRequest {
  start: number;
  end: number;
}

/** Parses `bytes=a-b`, `bytes=a-` or `bytes=-n` against a size; undefined when unsatisfiable. */
export function parseRange(header: string, size: number): RangeRequest | undefined {
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (m === null) return undefined;
  const [, a = '', b = ''] = m;
  if (a === '' && b === '') return undefined;
  if (a === '') {
    const n = Number(b);
    if (n === 0 || size === 0) return undefined;
    return { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(a);
  const end = b === '' ? size - 1 : Math.min(Number(b), size - 1);
  if (start >= size || end < start) return undefined;
  return { start, end };
}

/** What the signature covers: permissions, expiry and the canonical resource. */
function stringToSign(permissions: string, expiry: string, blob: string): string {
  return `${permissions}\n${expiry}\n/${BLOB_ACCOUNT}/${BLOB_CONTAINER}/${blob}`;
}

function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

export class BlobStorage {
  readonly #options: BlobStorageOptions;
  readonly #secret = createHmac('sha256', randomUUID()).digest();
  readonly #blobs = new Map<string, Blob>();
  readonly #staged = new Map<string, Map<string, Segment>>();
  #etags = 0;
  #truncate: (TruncateSpec & { seen: number; hits: number }) | undefined;
  /** Body bytes received by Put Blob / Put Block and sent by Get Blob. */
  readonly traffic = { uploaded: 0, downloaded: 0 };

  constructor(options: BlobStorageOptions) {
    this.#options = options;
  }

  /** A service SAS URL for one blob: `r` to read, `cw` to create and write. */
  signedUrl(blob: string, permissions: 'r' | 'cw', ttlMs = 3_600_000): string {
    const expiry = new Date(Date.now() + ttlMs).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const sig = createHmac('sha256', this.#secret)
      .update(stringToSign(permissions, expiry, blob))
      .digest('base64');
    const query = new URLSearchParams({
      sv: SERVICE_VERSION,
      sr: 'b',
      sp: permissions,
      se: expiry,
      sig,
    });
    return `${this.#options.baseUrl()}/${BLOB_CONTAINER}/${blob}?${query}`;
  }

  /** Committed size, or undefined when the blob has not been committed. */
  size(blob: string): number | undefined {
    return this.#blobs.get(blob)?.size;
  }

  seal(blob: string): void {
    const b = this.#blobs.get(blob);
    if (b !== undefined) b.sealed = true;
  }

  delete(blob: string): void {
    const b = this.#blobs.get(blob);
    this.#blobs.delete(blob);
    const staged = this.#staged.get(blob);
    this.#staged.delete(blob);
    const files = [...(b?.segments ?? []), ...(staged?.values() ?? [])].map((s) => s.file);
    for (const file of files) void rm(file, { force: true });
  }

  /** Flips one byte in the middle of a committed blob, as a storage fault would. */
  async corrupt(blob: string): Promise<void> {
    const b = this.#blobs.get(blob);
    if (b === undefined || b.size === 0) throw new Error(`blob ${blob} has no bytes to corrupt`);
    let offset = Math.floor(b.size / 2);
    const segment = b.segments.find((s) => {
      if (offset < s.size) return true;
      offset -= s.size;
      return false;
    })!;
    const handle = await open(segment.file, 'r+');
    try {
      const byte = Buffer.alloc(1);
      await handle.read(byte, 0, 1, offset);
      byte[0] = (byte[0] ?? 0) ^ 0xff;
      await handle.write(byte, 0, 1, offset);
    } finally {
      await handle.close();
    }
  }

  /** Starts (or with undefined, stops) cutting Get Blob bodies short. */
  truncateDownloads(spec: TruncateSpec | undefined): void {
    this.#truncate = spec === undefined ? undefined : { ...spec, seen: 0, hits: 0 };
  }

  /** Names the operation a request is, or throws the error Azure gives for anything else. */
  operation(method: string, query: URLSearchParams): BlobOperation {
    const comp = query.get('comp');
    if (method === 'PUT' && comp === null) return 'PutBlob';
    if (method === 'PUT' && comp === 'block') return 'PutBlock';
    if (method === 'PUT' && comp === 'blocklist') return 'PutBlockList';
    if (method === 'GET' && comp === null) return 'GetBlob';
    if (method === 'HEAD' && comp === null) return 'GetBlobProperties';
    if (comp !== null) {
      throw new StorageError(
        400,
        'InvalidQueryParameterValue',
        'Value for one of the query parameters specified in the request URI is invalid.',
      );
    }
    throw new StorageError(
      405,
      'UnsupportedHttpVerb',
      'The resource doesn\u2019t support the specified HTTP verb.',
    );
  }

  /** Answers one request for `blob`; the caller has named the operation and applied faults. */
  async handle(
    operation: BlobOperation,
    blob: string,
    query: URLSearchParams,
    req: IncomingMessage,
    res: ServerResponse,
  ): Promise<number> {
    this.#authorize(operation, blob, query);
    switch (operation) {
      case 'PutBlob':
        return this.#putBlob(blob, req, res);
      case 'PutBlock':
        return this.#putBlock(blob, query, req, res);
      case 'PutBlockList':
        return this.#putBlockList(blob, req, res);
      case 'GetBlob':
      case 'GetBlobProperties':
        return this.#get(operation, blob, req, res);
    }
  }

  #authorize(operation: BlobOperation, blob: string, query: URLSearchParams): void {
    const sig = query.get('sig');
    const expiry = query.get('se');
    const permissions = query.get('sp');
    const failed = (detail: string) =>
      new StorageError(
        403,
        'AuthenticationFailed',
        `Server failed to authenticate the request. Make sure the value of Authorization header is formed correctly including the signature.\nAuthenticationErrorDetail:${detail}`,
      );
    if (sig === null || expiry === null || permissions === null) {
      throw failed('Signature fields not well formed.');
    }
    const expected = createHmac('sha256', this.#secret)
      .update(stringToSign(permissions, expiry, blob))
      .digest();
    const given = Buffer.from(sig, 'base64');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw failed('Signature did not match.');
    }
    if (!(Date.parse(expiry) > Date.now())) {
      throw failed(`Signed expiry time [${expiry}] has to be after the current time.`);
    }
    const needs = operation.startsWith('Get') ? 'r' : 'w';
    if (!permissions.includes(needs)) {
      throw new StorageError(
        403,
        'AuthorizationPermissionMismatch',
        'This request is not authorized to perform this operation using this permission.',
      );
    }
  }

  #writable(blob: string): void {
    if (this.#blobs.get(blob)?.sealed) {
      throw new StorageError(
        409,
        'BlobImmutableDueToPolicy',
        'This operation is not permitted as the blob is immutable due to a policy.',
      );
    }
  }

  /** Streams a request body into a new file at the upload link's rate; checks Content-Length. */
  async #receive(req: IncomingMessage): Promise<Segment & { md5: string }> {
    const declared = req.headers['content-length'];
    if (declared === undefined) {
      throw new StorageError(
        411,
        'MissingContentLengthHeader',
        'Content-Length header is required.',
      );
    }
    const file = join(this.#options.dir, randomUUID());
    const md5 = createHash('md5');
    let size = 0;
    const link = this.#options.upload;
    try {
      await pipeline(
        req,
        async function* (source: AsyncIterable<Buffer>) {
          for await (const chunk of source) {
            await link.take(chunk.length);
            md5.update(chunk);
            size += chunk.length;
            yield chunk;
          }
        },
        createWriteStream(file),
      );
    } catch (error) {
      await rm(file, { force: true });
      throw error;
    }
    this.traffic.uploaded += size;
    if (size !== Number(declared)) {
      await rm(file, { force: true });
      throw new StorageError(
        400,
        'InvalidHeaderValue',
        'The value for one of the HTTP headers is not in the correct format.',
      );
    }
    return { file, size, md5: md5.digest('base64') };
  }

  #commit(blob: string, segments: Segment[], md5?: string): Blob {
    const old = this.#blobs.get(blob);
    const now = new Date();
    this.#etags += 1;
    const etag = `"0x8DE${(now.getTime() * 1000 + this.#etags).toString(16).toUpperCase()}"`;
    const committed: Blob = {
      segments,
      size: segments.reduce((n, s) => n + s.size, 0),
      etag,
      lastModified: now,
      createdOn: old?.createdOn ?? now,
      ...(md5 !== undefined ? { md5 } : {}),
      sealed: false,
    };
    this.#blobs.set(blob, committed);
    const kept = new Set(segments.map((s) => s.file));
    for (const s of old?.segments ?? []) if (!kept.has(s.file)) void rm(s.file, { force: true });
    return committed;
  }

  async #putBlob(blob: string, req: IncomingMessage, res: ServerResponse): Promise<number> {
    this.#writable(blob);
    if (req.headers['x-ms-blob-type'] !== 'BlockBlob') {
      throw new StorageError(
        400,
        'MissingRequiredHeader',
        'An HTTP header that\u2019s mandatory for this request is not specified.',
      );
    }
    const body = await this.#receive(req);
    if (this.#blobs.get(blob)?.sealed) void rm(body.file, { force: true });
    this.#writable(blob);
    const committed = this.#commit(blob, [{ file: body.file, size: body.size }], body.md5);
    for (const s of this.#staged.get(blob)?.values() ?? []) void rm(s.file, { force: true });
    this.#staged.delete(blob);
    this.#send(req, res, 201, {
      etag: committed.etag,
      'last-modified': committed.lastModified.toUTCString(),
      'content-md5': body.md5,
      'x-ms-request-server-encrypted': 'true',
    });
    return 201;
  }

  async #putBlock(
    blob: string,
    query: URLSearchParams,
    req: IncomingMessage,
    res: ServerResponse,
  ): Promise<number> {
    this.#writable(blob);
    const id = query.get('blockid');
    if (id === null || id === '' || Buffer.from(id, 'base64').length > 64) {
      throw new StorageError(
        400,
        'InvalidQueryParameterValue',
        'Value for one of the query parameters specified in the request URI is invalid.',
      );
    }
    const body = await this.#receive(req);
    let staged = this.#staged.get(blob);
    if (staged === undefined) {
      staged = new Map();
      this.#staged.set(blob, staged);
    }
    const previous = staged.get(id);
    if (previous !== undefined) void rm(previous.file, { force: true });
    staged.set(id, { file: body.file, size: body.size, id });
    this.#send(req, res, 201, {
      'content-md5': body.md5,
      'x-ms-request-server-encrypted': 'true',
    });
    return 201;
  }

  async #putBlockList(blob: string, req: IncomingMessage, res: ServerResponse): Promise<number> {
    this.#writable(blob);
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const xml = Buffer.concat(chunks).toString('utf8');
    const entries = [...xml.matchAll(/<(Latest|Uncommitted|Committed)>([^<]*)<\/\1>/g)];
    if (!/<BlockList>/.test(xml)) {
      throw new StorageError(
        400,
        'InvalidXmlDocument',
        'XML specified is not syntactically valid.',
      );
    }
    const staged = this.#staged.get(blob) ?? new Map<string, Segment>();
    const committedBefore = this.#blobs.get(blob)?.segments ?? [];
    const committedBlock = (id: string) => committedBefore.find((s) => s.id === id);
    const segments: Segment[] = [];
    for (const [, kind, id = ''] of entries) {
      // Latest: the staged block if there is one, else the committed one (Azure's rule).
      const segment =
        kind === 'Uncommitted'
          ? staged.get(id)
          : kind === 'Committed'
            ? committedBlock(id)
            : (staged.get(id) ?? committedBlock(id));
      if (segment === undefined) {
        throw new StorageError(400, 'InvalidBlockList', 'The specified block list is invalid.');
      }
      segments.push(segment);
    }
    const used = new Set(segments.map((s) => s.file));
    for (const s of staged.values()) if (!used.has(s.file)) void rm(s.file, { force: true });
    this.#staged.delete(blob);
    const committed = this.#commit(blob, segments);
    this.#send(req, res, 201, {
      etag: committed.etag,
      'last-modified': committed.lastModified.toUTCString(),
      'x-ms-request-server-encrypted': 'true',
    });
    return 201;
  }

  async #get(
    operation: 'GetBlob' | 'GetBlobProperties',
    blob: string,
    req: IncomingMessage,
    res: ServerResponse,
  ): Promise<number> {
    const b = this.#blobs.get(blob);
    if (b === undefined) {
      throw new StorageError(404, 'BlobNotFound', 'The specified blob does not exist.');
    }
    const ifMatch = req.headers['if-match'];
    if (ifMatch !== undefined && ifMatch !== '*' && ifMatch !== b.etag) {
      throw new StorageError(
        412,
        'ConditionNotMet',
        'The condition specified using HTTP conditional header(s) is not met.',
      );
    }
    const headers: Record<string, string> = {
      'content-type': 'application/octet-stream',
      etag: b.etag,
      'last-modified': b.lastModified.toUTCString(),
      'accept-ranges': 'bytes',
      'x-ms-blob-type': 'BlockBlob',
      'x-ms-creation-time': b.createdOn.toUTCString(),
      'x-ms-lease-status': 'unlocked',
      'x-ms-lease-state': 'available',
      'x-ms-server-encrypted': 'true',
    };
    const rangeHeader = req.headers['x-ms-range'] ?? req.headers.range;
    let start = 0;
    let end = b.size - 1;
    let status = 200;
    if (operation === 'GetBlob' && typeof rangeHeader === 'string') {
      const range = parseRange(rangeHeader, b.size);
      if (range === undefined) {
        throw new StorageError(
          416,
          'InvalidRange',
          'The range specified is invalid for the current size of the resource.',
          {
            'content-range': `bytes */${b.size}`,
          },
        );
      }
      ({ start, end } = range);
      status = 206;
      headers['content-range'] = `bytes ${start}-${end}/${b.size}`;
      if (b.md5 !== undefined) headers['x-ms-blob-content-md5'] = b.md5;
    } else if (b.md5 !== undefined) {
      headers['content-md5'] = b.md5;
    }
    const length = end - start + 1;
    this.#send(req, res, status, { ...headers, 'content-length': String(length) }, false);
    if (operation === 'GetBlobProperties') {
      res.end();
      return status;
    }
    this.#options.onRead?.(blob);
    const cut = this.#truncation(length);
    await this.#stream(b, start, end, cut, res);
    return status;
  }

  /** Bytes to send before dropping the connection, or undefined to send them all. */
  #truncation(length: number): number | undefined {
    const t = this.#truncate;
    if (t === undefined) return undefined;
    t.seen += 1;
    if (t.after !== undefined && t.seen <= t.after) return undefined;
    if (t.count !== undefined && t.hits >= t.count) return undefined;
    t.hits += 1;
    return Math.floor(length * (t.fraction ?? 0.5));
  }

  async #stream(
    b: Blob,
    start: number,
    end: number,
    cut: number | undefined,
    res: ServerResponse,
  ): Promise<void> {
    let offset = 0;
    let sent = 0;
    const limit = cut ?? end - start + 1;
    for (const segment of b.segments) {
      const from = Math.max(start, offset);
      const to = Math.min(end, offset + segment.size - 1);
      offset += segment.size;
      if (from > to) continue;
      const stream = createReadStream(segment.file, {
        start: from - (offset - segment.size),
        end: to - (offset - segment.size),
        highWaterMark: READ_CHUNK,
      });
      try {
        for await (const data of stream) {
          if (res.destroyed) return;
          const chunk = (data as Buffer).subarray(0, limit - sent);
          await this.#options.download.take(chunk.length);
          sent += chunk.length;
          this.traffic.downloaded += chunk.length;
          if (!res.write(chunk)) await drained(res);
          if (sent >= limit) break;
        }
      } finally {
        stream.destroy();
      }
      if (sent >= limit) break;
    }
    if (cut !== undefined) {
      // Let what was written reach the client, then drop the connection mid-body.
      res.socket?.end();
      res.socket?.destroySoon();
      return;
    }
    res.end();
  }

  #send(
    req: IncomingMessage,
    res: ServerResponse,
    status: number,
    headers: Record<string, string>,
    end = true,
  ): void {
    res.writeHead(status, {
      'x-ms-request-id': randomUUID(),
      'x-ms-version': String(req.headers['x-ms-version'] ?? SERVICE_VERSION),
      date: new Date().toUTCString(),
      ...(end ? { 'content-length': '0' } : {}),
      ...headers,
    });
    if (end) res.end();
  }
}

/** Sends a storage error: HEAD responses carry no body, as in Azure. */
export function sendStorageError(req: IncomingMessage, res: ServerResponse, e: StorageError): void {
  const requestId = randomUUID();
  const body =
    req.method === 'HEAD'
      ? ''
      : `\ufeff<?xml version="1.0" encoding="utf-8"?><Error><Code>${e.code}</Code><Message>${e.message}\nRequestId:${requestId}\nTime:${new Date().toISOString()}</Message></Error>`;
  res.writeHead(e.status, {
    'content-type': 'application/xml',
    'content-length': String(Buffer.byteLength(body)),
    'x-ms-request-id': requestId,
    'x-ms-version': String(req.headers['x-ms-version'] ?? SERVICE_VERSION),
    'x-ms-error-code': e.code,
    date: new Date().toUTCString(),
    ...e.headers,
  });
  res.end(body);
}
