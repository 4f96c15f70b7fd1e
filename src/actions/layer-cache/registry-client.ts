import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import http, { type IncomingMessage } from 'node:http';
import { sleep } from '../../lib/poll.ts';
import { type AuthOptions, RegistryAuth, UnauthorizedError } from './auth.ts';
import { MANIFEST_ACCEPT, sha256Digest } from './manifest.ts';

/** An HTTP answer from a registry that ends this step, e.g. `not found (HTTP 404)`. */
export class RegistryError extends Error {
  override readonly name = 'RegistryError';
  readonly status: number | undefined;
  constructor(message: string, status?: number) {
    super(message);
    this.status = status;
  }
}

/** The bytes received are not the blob that was asked for. */
export class DigestMismatchError extends Error {
  override readonly name = 'DigestMismatchError';
}

export interface RegistryClientOptions {
  /** The registry as written in the image reference (`docker.io`, `127.0.0.1:5000`, an ECR host). */
  host: string;
  auth: Omit<AuthOptions, 'fetchToken'>;
  /** Parallel connections to this host. */
  connections?: number;
  /** A connection that sends nothing for this long is abandoned (and a blob resumed). */
  idleTimeoutMs?: number;
  /** Resumes allowed per blob after broken connections that made progress. */
  maxResumes?: number;
  sleep?: (ms: number) => Promise<void>;
  log?: (message: string) => void;
}

export interface ManifestResponse {
  bytes: Buffer;
  digest: string;
  contentType: string;
}

export interface BlobDownload {
  /** Bytes received over the network, restarts and resumes included. */
  transferred: number;
  resumes: number;
}

const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
const MAX_REDIRECTS = 5;
const WRITE_BATCH_BYTES = 1 << 20;

// TLS takes a fifth of the action's start-up to load: a registry on this machine never needs it.
let httpsModule: Promise<typeof import('node:https')> | undefined;
function loadHttps(): Promise<typeof import('node:https')> {
  httpsModule ??= import('node:https');
  return httpsModule;
}

/** Plain http only for registries on this machine; anything else must be https. */
export function isLocalHost(host: string): boolean {
  const name = host.replace(/:\d+$/, '');
  return name === 'localhost' || name === '127.0.0.1';
}

/**
 * Where a registry's API is: https unless the registry is on this machine, and Docker Hub's API
 * host, which differs from its name in references.
 */
export function registryBaseUrl(host: string): URL {
  const api = host === 'docker.io' || host === 'index.docker.io' ? 'registry-1.docker.io' : host;
  return new URL(`${isLocalHost(host) ? 'http' : 'https'}://${api}`);
}

function isTransientStatus(status: number): boolean {
  return status === 429 || status === 408 || status >= 500;
}

async function drain(res: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of res) {
    length += (chunk as Buffer).length;
    if (length > MAX_MANIFEST_BYTES) {
      res.destroy();
      throw new RegistryError(`response larger than ${MAX_MANIFEST_BYTES} bytes`);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function discard(res: IncomingMessage): void {
  res.resume();
  res.on('error', () => {});
}

/**
 * The registry HTTP API v2 for one host, streaming blobs to disk through sha256, resuming broken
 * downloads with `Range`, and following redirects to blob storage without our credentials.
 */
export class RegistryClient {
  readonly host: string;
  readonly auth: RegistryAuth;
  private readonly base: URL;
  private agent: http.Agent | undefined;
  private readonly options: RegistryClientOptions;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(options: RegistryClientOptions) {
    this.options = options;
    this.host = options.host;
    this.sleep = options.sleep ?? sleep;
    this.base = registryBaseUrl(options.host);
    this.auth = new RegistryAuth(options.host, {
      ...options.auth,
      fetchToken: (url, authorization) =>
        this.follow('GET', url, authorization ? { authorization } : {}),
    });
  }

  close(): void {
    this.agent?.destroy();
  }

  /** The digest a tag points at now: one HEAD, no body. Undefined if the registry does not say. */
  async headManifest(repo: string, reference: string): Promise<string | undefined> {
    const res = await this.withRetries(() =>
      this.send('HEAD', this.url(repo, 'manifests', reference), { accept: MANIFEST_ACCEPT }, repo),
    );
    discard(res);
    this.expectOk(res, 'manifest');
    const digest = res.headers['docker-content-digest'];
    return typeof digest === 'string' && digest.startsWith('sha256:') ? digest : undefined;
  }

  /** A manifest's bytes, checked against the digest asked for and the one the registry names. */
  async getManifest(repo: string, reference: string): Promise<ManifestResponse> {
    const res = await this.withRetries(() =>
      this.send('GET', this.url(repo, 'manifests', reference), { accept: MANIFEST_ACCEPT }, repo),
    );
    if (res.statusCode !== 200) discard(res);
    this.expectOk(res, 'manifest');
    const bytes = await drain(res);
    const digest = sha256Digest(bytes);
    const named = res.headers['docker-content-digest'];
    const expected = reference.startsWith('sha256:') ? reference : named;
    if (typeof expected === 'string' && expected.startsWith('sha256:') && expected !== digest) {
      throw new DigestMismatchError(`the manifest's content hashes to ${digest}, not ${expected}`);
    }
    return { bytes, digest, contentType: String(res.headers['content-type'] ?? '') };
  }

  /**
   * Downloads a blob into `dest` (created or truncated), hashing as it streams. A broken
   * connection resumes where it stopped with `Range`; a registry that ignores `Range` restarts
   * the file. Throws DigestMismatchError when the complete content is not `digest`.
   */
  async downloadBlob(
    repo: string,
    digest: string,
    size: number,
    dest: string,
  ): Promise<BlobDownload> {
    const file = await open(dest, 'w');
    const maxResumes = this.options.maxResumes ?? 20;
    let hash = createHash('sha256');
    let received = 0;
    let transferred = 0;
    let resumes = 0;
    let stalls = 0;
    const restart = async () => {
      await file.truncate(0);
      hash = createHash('sha256');
      received = 0;
    };
    try {
      for (let done = false; !done; ) {
        const before = received;
        let problem: unknown;
        try {
          const headers: Record<string, string> = {};
          if (received > 0) headers.range = `bytes=${received}-`;
          const res = await this.send('GET', this.url(repo, 'blobs', digest), headers, repo);
          if (res.statusCode === 206) {
            const start = /^bytes (\d+)-/.exec(String(res.headers['content-range'] ?? ''));
            if (!start || Number(start[1]) !== received) {
              discard(res);
              await restart();
              throw new Error('the registry answered a different range than asked');
            }
          } else if (res.statusCode === 200) {
            if (received > 0) await restart();
          } else if (res.statusCode === 416) {
            discard(res);
            await restart();
            throw new Error('the registry refused the range (HTTP 416)');
          } else {
            discard(res);
            this.expectOk(res, 'blob');
          }
          // Chunks are written in batches of about 1 MiB, one batch in flight while the next is
          // received (reading pauses when a second batch is ready first); whatever was received
          // is flushed before a resume asks for the rest. Events rather than an async iterator:
          // a promise per 64 KiB chunk costs more CPU than the hashing on a fast link.
          let batch: Buffer[] = [];
          let batchBytes = 0;
          let position = received;
          const writeBatch = async () => {
            const data = batch;
            const at = position;
            const length = batchBytes;
            position += length;
            batch = [];
            batchBytes = 0;
            if (length === 0) return;
            const { bytesWritten } = await file.writev(data, at);
            if (bytesWritten !== length)
              throw new Error(`wrote ${bytesWritten} of ${length} bytes to ${dest}`);
          };
          await new Promise<void>((resolve, reject) => {
            let writing: Promise<void> | undefined;
            let failure: unknown;
            let writeFailed = false;
            let ended = false;
            const startWrite = () => {
              writing = writeBatch().then(
                () => {
                  writing = undefined;
                  if (ended) return;
                  if (batchBytes >= WRITE_BATCH_BYTES) startWrite();
                  if (res.isPaused()) res.resume();
                },
                (err: unknown) => {
                  writing = undefined;
                  writeFailed = true;
                  finish(err);
                },
              );
            };
            const finish = (err?: unknown) => {
              if (ended) return;
              ended = true;
              if (err !== undefined) failure ??= err;
              res.off('data', onData);
              if (!res.complete) res.destroy();
              Promise.resolve(writing)
                .then(() => (writeFailed ? undefined : writeBatch()))
                .then(
                  () => (failure === undefined ? resolve() : reject(failure)),
                  (writeErr: unknown) => reject(failure ?? writeErr),
                );
            };
            const onData = (bytes: Buffer) => {
              transferred += bytes.length;
              if (received + bytes.length > size) {
                finish(
                  new DigestMismatchError(
                    `received more than the ${size} bytes the manifest lists`,
                  ),
                );
                return;
              }
              hash.update(bytes);
              batch.push(bytes);
              batchBytes += bytes.length;
              received += bytes.length;
              if (batchBytes >= WRITE_BATCH_BYTES) {
                if (writing) res.pause();
                else startWrite();
              }
            };
            res.on('data', onData);
            res.once('end', () => finish());
            res.once('error', (err) => finish(err));
            // A body cut short may end with 'close' alone; the byte count then tells.
            res.once('close', () => finish());
          });
          if (received < size)
            throw new Error(`the connection closed after ${received} of ${size} bytes`);
          done = true;
        } catch (err) {
          if (
            err instanceof DigestMismatchError ||
            err instanceof UnauthorizedError ||
            (err instanceof RegistryError && !isTransientStatus(err.status ?? 0))
          ) {
            throw err;
          }
          problem = err;
        }
        if (done) break;
        if (received > before) {
          resumes++;
          stalls = 0;
        } else {
          stalls++;
        }
        const why = problem instanceof Error ? problem.message : String(problem);
        if (resumes > maxResumes || stalls > 3) {
          throw new RegistryError(`download failed after ${resumes} resumes: ${why}`);
        }
        this.options.log?.(`${digest}: ${why}; resuming at byte ${received}`);
        if (stalls > 0) await this.sleep(250 * 2 ** stalls);
      }
    } finally {
      await file.close();
    }
    const actual = `sha256:${hash.digest('hex')}`;
    if (actual !== digest) {
      throw new DigestMismatchError(`the registry sent content that hashes to ${actual}`);
    }
    return { transferred, resumes };
  }

  private url(repo: string, kind: 'manifests' | 'blobs', reference: string): URL {
    return new URL(`/v2/${repo}/${kind}/${reference}`, this.base);
  }

  private expectOk(res: IncomingMessage, what: 'manifest' | 'blob'): void {
    const status = res.statusCode ?? 0;
    if (status === 200) return;
    if (status === 404) throw new RegistryError(`${what} not found (HTTP 404)`, status);
    if (status === 403) throw new RegistryError('access denied (HTTP 403)', status);
    throw new RegistryError(`the registry answered HTTP ${status}`, status);
  }

  /** Retries a request that failed in transit or with 429/5xx: three more tries, backing off. */
  private async withRetries(send: () => Promise<IncomingMessage>): Promise<IncomingMessage> {
    for (let attempt = 0; ; attempt++) {
      try {
        const res = await send();
        if (!isTransientStatus(res.statusCode ?? 0) || attempt >= 3) return res;
        discard(res);
      } catch (err) {
        if (err instanceof UnauthorizedError || err instanceof RegistryError || attempt >= 3)
          throw err;
      }
      await this.sleep(500 * 2 ** attempt);
    }
  }

  /** One request with credentials; a 401 teaches the auth what to send, then one retry. */
  private async send(
    method: string,
    url: URL,
    headers: Record<string, string>,
    repo: string,
  ): Promise<IncomingMessage> {
    for (let attempt = 0; ; attempt++) {
      const authorization = await this.auth.header(repo);
      const res = await this.follow(method, url, {
        ...headers,
        ...(authorization ? { authorization } : {}),
      });
      if (res.statusCode !== 401) return res;
      discard(res);
      if (attempt === 1) throw new UnauthorizedError(this.auth.denied());
      await this.auth.refresh(repo, String(res.headers['www-authenticate'] ?? ''), authorization);
    }
  }

  /**
   * Sends a request and follows redirects. Credentials never leave the registry's origin: a
   * redirect to blob storage (S3 behind ECR) carries a signed URL and rejects a second scheme.
   */
  private async follow(
    method: string,
    url: URL,
    headers: Record<string, string>,
  ): Promise<IncomingMessage> {
    let current = url;
    let sent = headers;
    for (let hop = 0; ; hop++) {
      const res = await this.request(method, current, sent);
      const location = res.headers.location;
      if (![301, 302, 303, 307, 308].includes(res.statusCode ?? 0) || !location) return res;
      discard(res);
      if (hop >= MAX_REDIRECTS) throw new RegistryError(`more than ${MAX_REDIRECTS} redirects`);
      const next = new URL(location, current);
      if (next.protocol !== 'https:' && !(next.protocol === 'http:' && isLocalHost(next.host))) {
        throw new RegistryError(
          `refusing a redirect to ${next.protocol}//${next.host} (not https)`,
        );
      }
      if (next.origin !== current.origin) {
        const { authorization: _dropped, ...rest } = sent;
        sent = rest;
      }
      current = next;
    }
  }

  private async request(
    method: string,
    url: URL,
    headers: Record<string, string>,
  ): Promise<IncomingMessage> {
    const timeout = this.options.idleTimeoutMs ?? 60_000;
    const transport = url.protocol === 'https:' ? await loadHttps() : http;
    let agent: http.Agent | undefined;
    if (url.origin === this.base.origin) {
      this.agent ??= new transport.Agent({
        keepAlive: true,
        maxSockets: this.options.connections ?? 8,
      });
      agent = this.agent;
    }
    return new Promise((resolve, reject) => {
      const req = transport.request(url, { method, headers, agent }, resolve);
      // The socket's idle timeout also covers the response body: a stalled blob is resumed.
      req.setTimeout(timeout, () => req.destroy(new Error(`no data for ${timeout / 1000}s`)));
      req.on('error', reject);
      req.end();
    });
  }
}
