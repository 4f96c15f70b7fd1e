// The registry's transport: undici, through one EnvHttpProxyAgent for the whole run, so every
// origin (registry, token service, blob storage) has its own pool of kept-alive connections and
// HTTP_PROXY / HTTPS_PROXY / NO_PROXY (either case) apply as they do to other tools on the runner.
import { setImmediate } from 'node:timers/promises';
import { type Dispatcher, EnvHttpProxyAgent } from 'undici';

export interface HttpResponse {
  readonly status: number;
  /** Header names in lower case; a repeated header's values joined with ', '. */
  readonly headers: Readonly<Record<string, string>>;
  /** The body as it arrives: read it, `discard` it or destroy it, or the connection stays busy. */
  readonly body: Dispatcher.ResponseData['body'];
}

export interface RequestOptions {
  method: 'GET' | 'HEAD';
  headers?: Readonly<Record<string, string>>;
}

export interface HttpClientOptions {
  /** A response that sends nothing (head or body) for this long fails, so a stall is resumed. */
  idleTimeoutMs: number;
  /** How long opening a connection (TCP, TLS, the proxy's CONNECT) may take. */
  connectTimeoutMs?: number;
  /** Tests pass a dispatcher of their own; the action uses the proxy-aware agent. */
  dispatcher?: Dispatcher;
}

/** The server sent more than the caller allows. */
export class HttpBodyError extends Error {
  override readonly name = 'HttpBodyError';
}

/** A header that cannot be sent as it is: asking again would not change it. */
export class UnsafeHeaderError extends Error {
  override readonly name = 'UnsafeHeaderError';
}

const DISCARD_LIMIT_BYTES = 64 * 1024;

function flatHeaders(raw: Record<string, string | string[] | undefined>): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (value === undefined) continue;
    headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}

/**
 * Registry content decides some header values (a token from a token service): a line break in
 * one would let it add headers of its own, so it is refused before anything is sent.
 */
export function checkHeaders(headers: Readonly<Record<string, string>>): void {
  for (const [name, value] of Object.entries(headers)) {
    if (/[\r\n]/.test(name) || /[\r\n]/.test(value)) {
      throw new UnsafeHeaderError(`header ${name} contains a line break`);
    }
  }
}

export class HttpClient {
  private readonly dispatcher: Dispatcher;
  private readonly idleTimeoutMs: number;
  private ended = false;

  constructor(options: HttpClientOptions) {
    this.idleTimeoutMs = options.idleTimeoutMs;
    this.dispatcher =
      options.dispatcher ??
      new EnvHttpProxyAgent({
        // A plain-http URL goes to the proxy as an absolute-form request: proxies refuse CONNECT
        // to ports other than 443 by default, and plain http is only ever a registry on this
        // machine. https always tunnels through CONNECT.
        proxyTunnel: false,
        keepAliveTimeout: 30_000,
        connect: { timeout: options.connectTimeoutMs ?? 30_000 },
      });
  }

  /** One request, no redirects followed (the registry client decides what a redirect keeps). */
  async request(url: URL, options: RequestOptions): Promise<HttpResponse> {
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new Error(`unsupported protocol ${url.protocol}`);
    }
    const headers = options.headers ?? {};
    checkHeaders(headers);
    const res = await this.dispatcher.request({
      origin: url.origin,
      path: `${url.pathname}${url.search}`,
      method: options.method,
      headers,
      headersTimeout: this.idleTimeoutMs,
      bodyTimeout: this.idleTimeoutMs,
    });
    // The body can fail before its reader subscribes (a connection cut while the file opens):
    // the reader finds that in `body.errored`, and the process is not ended by an unheard error.
    res.body.on('error', () => {});
    return {
      status: res.statusCode,
      headers: flatHeaders(res.headers),
      body: res.body,
    };
  }

  /** Whether close or destroy was called: a request now fails, and asking again will not help. */
  get closed(): boolean {
    return this.ended;
  }

  /** Ends every connection once the requests on them are done. */
  close(): Promise<void> {
    this.ended = true;
    return this.dispatcher.close();
  }

  /** Ends every connection now, failing the requests still on them (a run that failed). */
  destroy(): Promise<void> {
    this.ended = true;
    return this.dispatcher.destroy();
  }
}

/** Closes the connection under a body nobody will read. */
export function abandon(res: HttpResponse): void {
  res.body.destroy();
}

/** The whole body; rejects (closing the connection) past `limit` bytes. */
export async function readBody(res: HttpResponse, limit: number): Promise<Buffer> {
  const tooLarge = () => {
    abandon(res);
    return new HttpBodyError(`response larger than ${limit} bytes`);
  };
  const declared = Number(res.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) throw tooLarge();
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of res.body) {
    length += (chunk as Buffer).length;
    if (length > limit) throw tooLarge();
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks, length);
}

/**
 * Throws a body away: a short one is read to its end so the connection can carry the next
 * request (await it before sending one), a long one closes the connection. Never rejects: a
 * broken body only costs the connection.
 */
export async function discard(res: HttpResponse): Promise<void> {
  await res.body.dump({ limit: DISCARD_LIMIT_BYTES }).catch(() => {});
  // The pool hears that the connection is free on a later turn of the event loop than the
  // body's end: a request sent before then would open a connection of its own.
  await setImmediate();
}
