import { describeError } from '../../lib/errors.ts';
import type { Log } from '../../lib/log.ts';
import { sleep } from '../../lib/poll.ts';
import { type AuthOptions, RegistryAuth, UnauthorizedError } from './auth.ts';
import {
  BlobDownload,
  type BlobDownloadResult,
  DigestMismatchError,
  RangeRefusedError,
} from './download.ts';
import {
  discard,
  type HttpClient,
  type HttpResponse,
  readBody,
  UnsafeHeaderError,
} from './http.ts';
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

export { DigestMismatchError } from './download.ts';

export interface RegistryClientOptions {
  /** The registry as written in the image reference (`docker.io`, `127.0.0.1:5000`, an ECR host). */
  host: string;
  auth: Omit<AuthOptions, 'fetchToken'>;
  /** The run's one transport: connection pools per origin, shared by every registry. */
  http: HttpClient;
  /** Resumes allowed per blob after broken connections that made progress. */
  maxResumes?: number;
  sleep?: (ms: number) => Promise<void>;
  log?: Log;
}

export interface ManifestResponse {
  bytes: Buffer;
  digest: string;
  contentType: string;
}

const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
const MAX_REDIRECTS = 5;

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

async function drain(res: HttpResponse): Promise<Buffer> {
  try {
    return await readBody(res, MAX_MANIFEST_BYTES);
  } catch (err) {
    throw new RegistryError(describeError(err));
  }
}

/**
 * The registry HTTP API v2 for one host, streaming blobs to disk through sha256, resuming broken
 * downloads with `Range`, and following redirects to blob storage without our credentials.
 */
export class RegistryClient {
  readonly host: string;
  readonly auth: RegistryAuth;
  private readonly base: URL;
  private readonly http: HttpClient;
  private readonly options: RegistryClientOptions;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(options: RegistryClientOptions) {
    this.options = options;
    this.host = options.host;
    this.http = options.http;
    this.sleep = options.sleep ?? sleep;
    this.base = registryBaseUrl(options.host);
    this.auth = new RegistryAuth(options.host, {
      ...options.auth,
      fetchToken: (url, authorization) =>
        this.follow('GET', url, authorization ? { authorization } : {}),
    });
  }

  /** The digest a tag points at now: one HEAD, no body. Undefined if the registry does not say. */
  async headManifest(repo: string, reference: string): Promise<string | undefined> {
    const res = await this.withRetries(() =>
      this.send('HEAD', this.url(repo, 'manifests', reference), { accept: MANIFEST_ACCEPT }, repo),
    );
    await discard(res);
    this.expectOk(res, 'manifest');
    const digest = res.headers['docker-content-digest'];
    return typeof digest === 'string' && digest.startsWith('sha256:') ? digest : undefined;
  }

  /** A manifest's bytes, checked against the digest asked for and the one the registry names. */
  async getManifest(repo: string, reference: string): Promise<ManifestResponse> {
    const res = await this.withRetries(() =>
      this.send('GET', this.url(repo, 'manifests', reference), { accept: MANIFEST_ACCEPT }, repo),
    );
    if (res.status !== 200) void discard(res);
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
   * Downloads a blob into `dest` (created or truncated), hashing every byte. A broken connection
   * resumes where it stopped with `Range`; a registry that ignores `Range` has the bytes already
   * received skipped. Throws DigestMismatchError when the complete content is not `digest`.
   */
  downloadBlob(
    repo: string,
    digest: string,
    size: number,
    dest: string,
  ): Promise<BlobDownloadResult> {
    const url = this.url(repo, 'blobs', digest);
    const download = new BlobDownload({
      digest,
      size,
      dest,
      maxResumes: this.options.maxResumes ?? 20,
      sleep: this.sleep,
      ...(this.options.log ? { log: this.options.log } : {}),
      isFatal: (err) =>
        this.http.closed ||
        err instanceof DigestMismatchError ||
        err instanceof UnauthorizedError ||
        err instanceof UnsafeHeaderError ||
        (err instanceof RegistryError && !isTransientStatus(err.status ?? 0)),
      fetch: async (start) => {
        const headers: Record<string, string> = start > 0 ? { range: `bytes=${start}-` } : {};
        const res = await this.send('GET', url, headers, repo);
        if (res.status === 206) {
          const range = /^bytes (\d+)-/.exec(String(res.headers['content-range'] ?? ''));
          if (!range) {
            void discard(res);
            throw new Error('the registry answered 206 without a Content-Range');
          }
          return { res, offset: Number(range[1]) };
        }
        if (res.status === 200) return { res, offset: 0 };
        void discard(res);
        if (res.status === 416)
          throw new RangeRefusedError('the registry refused the range (HTTP 416)');
        this.expectOk(res, 'blob');
        throw new RegistryError(`the registry answered HTTP ${res.status}`, res.status);
      },
    });
    return download.run();
  }

  private url(repo: string, kind: 'manifests' | 'blobs', reference: string): URL {
    return new URL(`/v2/${repo}/${kind}/${reference}`, this.base);
  }

  private expectOk(res: HttpResponse, what: 'manifest' | 'blob'): void {
    const status = res.status;
    if (status === 200) return;
    if (status === 404) throw new RegistryError(`${what} not found (HTTP 404)`, status);
    if (status === 403) throw new RegistryError('access denied (HTTP 403)', status);
    throw new RegistryError(`the registry answered HTTP ${status}`, status);
  }

  /** Retries a request that failed in transit or with 429/5xx: three more tries, backing off. */
  private async withRetries(send: () => Promise<HttpResponse>): Promise<HttpResponse> {
    for (let attempt = 0; ; attempt++) {
      try {
        const res = await send();
        if (!isTransientStatus(res.status) || attempt >= 3) return res;
        await discard(res);
      } catch (err) {
        if (
          err instanceof UnauthorizedError ||
          err instanceof RegistryError ||
          err instanceof UnsafeHeaderError ||
          this.http.closed ||
          attempt >= 3
        )
          throw err;
      }
      await this.sleep(500 * 2 ** attempt);
    }
  }

  /** One request with credentials; a 401 teaches the auth what to send, then one retry. */
  private async send(
    method: 'GET' | 'HEAD',
    url: URL,
    headers: Record<string, string>,
    repo: string,
  ): Promise<HttpResponse> {
    for (let attempt = 0; ; attempt++) {
      const authorization = await this.auth.header(repo);
      const res = await this.follow(method, url, {
        ...headers,
        ...(authorization ? { authorization } : {}),
      });
      if (res.status !== 401) return res;
      await discard(res);
      if (attempt === 1) throw new UnauthorizedError(this.auth.denied());
      await this.auth.refresh(repo, String(res.headers['www-authenticate'] ?? ''), authorization);
    }
  }

  /**
   * Sends a request and follows redirects. Credentials never leave the registry's origin: a
   * redirect to blob storage (S3 behind ECR) carries a signed URL and rejects a second scheme.
   */
  private async follow(
    method: 'GET' | 'HEAD',
    url: URL,
    headers: Record<string, string>,
  ): Promise<HttpResponse> {
    let current = url;
    let sent = headers;
    for (let hop = 0; ; hop++) {
      const res = await this.request(method, current, sent);
      const location = res.headers.location;
      if (![301, 302, 303, 307, 308].includes(res.status) || !location) return res;
      await discard(res);
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

  private request(method: 'GET' | 'HEAD', url: URL, headers: Record<string, string>) {
    return this.http.request(url, { method, headers });
  }
}
