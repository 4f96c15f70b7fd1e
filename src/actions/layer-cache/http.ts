// The registry's transport: undici, through one EnvHttpProxyAgent for the whole run, so every
// origin (registry, token service, blob storage) has its own pool of kept-alive connections and
// HTTP_PROXY / HTTPS_PROXY / NO_PROXY (either case) apply as they do to other tools on the runner.
//
// Bodies are taken from undici's dispatch API, chunk by chunk, by one reader that pauses the
// connection by returning false, rather than as a Readable stream: a body that failed before its
// reader came (a connection cut while the blob's file opens) is reported to that reader when it
// comes, where a stream that already errored would tell a late listener nothing.
import { setImmediate } from 'node:timers/promises';
import { type Dispatcher, EnvHttpProxyAgent } from 'undici';

export interface BodyHandlers {
  /**
   * One piece of the body. Every byte given must be taken; returning false stops reading from
   * the network until `resume()`.
   */
  data(chunk: Buffer): boolean;
  end(): void;
  error(err: Error): void;
}

export interface HttpResponse {
  readonly status: number;
  /** Header names in lower case; a repeated header's values joined with ', '. */
  readonly headers: Readonly<Record<string, string>>;
  /** Whether the whole body has been received. */
  readonly complete: boolean;
  /** Streams the body to `handlers`, including a failure or end that came before; call once. */
  read(handlers: BodyHandlers): void;
  /** Goes on reading after `data` returned false. */
  resume(): void;
  /** Closes the connection under a body nobody will read; its reader is told nothing more. */
  abandon(): void;
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

/** One request's answer, fed by undici as it arrives and handed to one reader. */
class Exchange implements Dispatcher.DispatchHandler, HttpResponse {
  status = 0;
  headers: Record<string, string> = {};
  complete = false;
  private controller: Dispatcher.DispatchController | undefined;
  private settleHead:
    | { resolve: (res: Exchange) => void; reject: (err: Error) => void }
    | undefined;
  private handlers: BodyHandlers | undefined;
  /** Body that came before `read`: held (reading paused) until the reader comes. */
  private pending: Buffer[] = [];
  private failure: Error | undefined;
  /** The reader asked for a pause and has not resumed. */
  private held = false;

  constructor(resolve: (res: Exchange) => void, reject: (err: Error) => void) {
    this.settleHead = { resolve, reject };
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
  }

  onResponseStart(
    controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: Record<string, string | string[] | undefined>,
  ): void {
    // An informational answer (1xx) comes before the real one.
    if (statusCode < 200) return;
    this.controller = controller;
    this.status = statusCode;
    this.headers = flatHeaders(headers);
    const head = this.settleHead;
    this.settleHead = undefined;
    head?.resolve(this);
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.failure) return;
    if (this.handlers && this.pending.length === 0) {
      if (this.handlers.data(chunk) === false) {
        this.held = true;
        controller.pause();
      }
      return;
    }
    this.pending.push(chunk);
    controller.pause();
  }

  onResponseEnd(): void {
    this.complete = true;
    if (this.handlers && this.pending.length === 0 && !this.failure) this.handlers.end();
  }

  onResponseError(_controller: Dispatcher.DispatchController, err: Error): void {
    if (this.settleHead) {
      const head = this.settleHead;
      this.settleHead = undefined;
      head.reject(err);
      return;
    }
    if (this.complete || this.failure) return;
    this.failure = err;
    this.handlers?.error(err);
  }

  read(handlers: BodyHandlers): void {
    if (this.handlers) throw new Error('the body is already being read');
    this.handlers = handlers;
    for (const chunk of this.pending.splice(0)) {
      if (handlers.data(chunk) === false) this.held = true;
    }
    if (this.failure) handlers.error(this.failure);
    else if (this.complete) handlers.end();
    else if (!this.held) this.controller?.resume();
  }

  resume(): void {
    this.held = false;
    if (!this.complete && !this.failure) this.controller?.resume();
  }

  abandon(): void {
    if (this.complete || this.failure) return;
    this.failure = new HttpBodyError('the response was abandoned');
    this.controller?.abort(this.failure);
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
  request(url: URL, options: RequestOptions): Promise<HttpResponse> {
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      return Promise.reject(new Error(`unsupported protocol ${url.protocol}`));
    }
    const headers = options.headers ?? {};
    try {
      checkHeaders(headers);
    } catch (err) {
      return Promise.reject(err);
    }
    return new Promise((resolve, reject) => {
      this.dispatcher.dispatch(
        {
          origin: url.origin,
          path: `${url.pathname}${url.search}`,
          method: options.method,
          headers,
          headersTimeout: this.idleTimeoutMs,
          bodyTimeout: this.idleTimeoutMs,
        },
        new Exchange(resolve, reject),
      );
    });
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

/** The whole body; rejects (closing the connection) past `limit` bytes. */
export function readBody(res: HttpResponse, limit: number): Promise<Buffer> {
  const declared = Number(res.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    res.abandon();
    return Promise.reject(new HttpBodyError(`response larger than ${limit} bytes`));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let length = 0;
    res.read({
      data: (chunk) => {
        length += chunk.length;
        if (length > limit) {
          res.abandon();
          reject(new HttpBodyError(`response larger than ${limit} bytes`));
          return false;
        }
        chunks.push(chunk);
        return true;
      },
      end: () => resolve(Buffer.concat(chunks, length)),
      error: reject,
    });
  });
}

/**
 * Throws a body away: a short one is read to its end so the connection can carry the next
 * request (await it before sending one), a long one closes the connection. Never rejects: a
 * broken body only costs the connection.
 */
export async function discard(res: HttpResponse): Promise<void> {
  const declared = Number(res.headers['content-length'] ?? Number.NaN);
  if (!res.complete && declared > DISCARD_LIMIT_BYTES) {
    res.abandon();
    return;
  }
  await new Promise<void>((resolve) => {
    let length = 0;
    res.read({
      data: (chunk) => {
        length += chunk.length;
        if (length <= DISCARD_LIMIT_BYTES) return true;
        res.abandon();
        resolve();
        return false;
      },
      end: resolve,
      error: () => resolve(),
    });
  });
  // The pool hears that the connection is free on a later turn of the event loop than the
  // body's end: a request sent before then would open a connection of its own.
  await setImmediate();
}
