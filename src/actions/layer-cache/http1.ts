// A small HTTP/1.1 client for registry and blob-storage GETs and HEADs. Node's `http` module hands
// every 64 KiB of a body over as a new Buffer through its parser and streams: for a 200 MB image
// that is more CPU than hashing it, and enough garbage that a run's memory, and the time the
// kernel takes to release it at exit, grow with the image. Here each connection reads into one
// buffer of its own (`onread`), the body is framed by Content-Length or chunked encoding, and
// the reader copies what it keeps. Idle connections are kept per origin and reused.

import net from 'node:net';
import type { ConnectionOptions, TLSSocket } from 'node:tls';

export interface BodyHandlers {
  /**
   * One piece of the body: a view that is valid only during the call, so copy what you keep.
   * Every byte given must be taken; returning false stops reading from the network until
   * `resume()`.
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
  /** Streams the body to `handlers`; call once. */
  read(handlers: BodyHandlers): void;
  /** Goes on reading after `data` returned false. */
  resume(): void;
  /** The whole body; rejects past `limit` bytes. */
  body(limit: number): Promise<Buffer>;
  /** Throws the rest of the body away: read to the end when short, else the connection closes. */
  discard(): void;
  /** Closes the connection, ending the body here. */
  destroy(): void;
}

export interface RequestOptions {
  method: 'GET' | 'HEAD';
  headers?: Readonly<Record<string, string>>;
  /** The connection is abandoned when it sends nothing for this long. */
  timeoutMs: number;
}

/** The server broke the protocol, or the connection ended a response early. */
export class HttpProtocolError extends Error {
  override readonly name = 'HttpProtocolError';
}

/** A kept-alive connection closed before answering: the request is sent again on a new one. */
class StaleConnectionError extends Error {
  override readonly name = 'StaleConnectionError';
}

const READ_BUFFER_BYTES = 256 * 1024;
const MAX_HEAD_BYTES = 64 * 1024;
const DISCARD_LIMIT_BYTES = 64 * 1024;
const IDLE_PER_ORIGIN = 16;
const IDLE_CLOSE_MS = 30_000;
const CRLF2 = Buffer.from('\r\n\r\n');

// TLS takes a fifth of the action's start-up to load: a registry on this machine never needs it.
let tlsModule: Promise<typeof import('node:tls')> | undefined;
function loadTls(): Promise<typeof import('node:tls')> {
  tlsModule ??= import('node:tls');
  return tlsModule;
}

function defaultPort(url: URL): number {
  return url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
}

function requestHead(url: URL, options: RequestOptions): string {
  const lines = [`${options.method} ${url.pathname}${url.search} HTTP/1.1`, `host: ${url.host}`];
  for (const [name, value] of Object.entries(options.headers ?? {})) {
    if (/[\r\n]/.test(name) || /[\r\n]/.test(value)) {
      throw new Error(`header ${name} contains a line break`);
    }
    lines.push(`${name}: ${value}`);
  }
  return `${lines.join('\r\n')}\r\n\r\n`;
}

/** Connections to any number of origins; requests are sent one at a time per connection. */
export class Http1Client {
  private readonly idle = new Map<string, Connection[]>();
  private readonly connections = new Set<Connection>();
  private readonly ca: string | undefined;

  /** `ca`: trust this certificate authority instead of Node's (NODE_EXTRA_CA_CERTS adds to those). */
  constructor(options: { ca?: string } = {}) {
    this.ca = options.ca;
  }

  async request(url: URL, options: RequestOptions): Promise<HttpResponse> {
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new Error(`unsupported protocol ${url.protocol}`);
    }
    const head = requestHead(url, options);
    for (;;) {
      const reused = this.takeIdle(url.origin);
      const connection = reused ?? (await this.connect(url));
      try {
        return await connection.send(head, options);
      } catch (err) {
        if (reused && err instanceof StaleConnectionError) continue;
        throw err;
      }
    }
  }

  /**
   * Opens a connection to `url`'s origin before the first request needs it, so its TCP and TLS
   * handshakes overlap what the caller does meanwhile (reading the store, getting a token). The
   * first request takes it like an idle one, and falls back to a new connection if it failed.
   */
  preconnect(url: URL): void {
    if (this.idle.get(url.origin)?.some((c) => c.usable)) return;
    this.connect(url).then(
      (connection) => {
        connection.preconnected = true;
        this.release(connection);
      },
      () => {}, // the request that needs the origin connects again and reports why
    );
  }

  /** Closes every connection, idle or not. */
  close(): void {
    for (const connection of this.connections) connection.destroy();
    this.idle.clear();
  }

  private takeIdle(origin: string): Connection | undefined {
    const list = this.idle.get(origin);
    while (list && list.length > 0) {
      const connection = list.pop() as Connection;
      if (connection.usable) return connection;
    }
    return undefined;
  }

  /** Called by a connection whose response ended cleanly and may carry another request. */
  release(connection: Connection): void {
    const list = this.idle.get(connection.origin) ?? [];
    this.idle.set(connection.origin, list);
    if (list.length >= IDLE_PER_ORIGIN) {
      connection.destroy();
      return;
    }
    list.push(connection);
    connection.park(IDLE_CLOSE_MS);
  }

  forget(connection: Connection): void {
    this.connections.delete(connection);
    const list = this.idle.get(connection.origin);
    const at = list?.indexOf(connection) ?? -1;
    if (list && at >= 0) list.splice(at, 1);
  }

  private async connect(url: URL): Promise<Connection> {
    const connection = new Connection(this, url.origin);
    const readBuffer = Buffer.allocUnsafe(READ_BUFFER_BYTES);
    const onread = {
      buffer: readBuffer,
      callback: (length: number, buffer: Uint8Array) =>
        connection.onData(Buffer.from(buffer.buffer, buffer.byteOffset, length)),
    };
    const host = url.hostname.replace(/^\[|\]$/g, '');
    const port = defaultPort(url);
    let socket: net.Socket | TLSSocket;
    if (url.protocol === 'https:') {
      const tls = await loadTls();
      // `onread` works for TLS sockets too (Node 15+); the type definitions do not list it.
      const options = {
        host,
        port,
        ...(net.isIP(host) ? {} : { servername: host }),
        ALPNProtocols: ['http/1.1'],
        ...(this.ca ? { ca: this.ca } : {}),
        onread,
      } as ConnectionOptions;
      socket = tls.connect(options);
    } else {
      socket = net.connect({ host, port, onread });
    }
    socket.setNoDelay(true);
    connection.attach(socket);
    this.connections.add(connection);
    return connection;
  }
}

type State =
  | 'head'
  | 'length'
  | 'chunk-size'
  | 'chunk-data'
  | 'chunk-end'
  | 'trailers'
  | 'until-close'
  | 'done';

/** One connection; at most one request on it at a time. */
class Connection {
  readonly origin: string;
  private readonly client: Http1Client;
  private socket: net.Socket | TLSSocket | undefined;
  private exchange: Exchange | undefined;
  private closed = false;
  /** Responses completed on this connection: a failure before the first byte of a later one means the server closed it while idle. */
  private served = 0;
  /** Opened ahead of any request: a failure before its first response is retried on a new one. */
  preconnected = false;

  constructor(client: Http1Client, origin: string) {
    this.client = client;
    this.origin = origin;
  }

  get usable(): boolean {
    return !this.closed && this.socket !== undefined && !this.socket.destroyed;
  }

  attach(socket: net.Socket | TLSSocket): void {
    this.socket = socket;
    socket.on('end', () => this.onEnd());
    socket.on('error', (err) => this.onClose(err));
    socket.on('close', () => this.onClose(new HttpProtocolError('the connection closed')));
    socket.on('timeout', () => {
      const seconds = Math.round((socket.timeout ?? 0) / 1000);
      socket.destroy(new Error(`no data for ${seconds}s`));
    });
  }

  send(head: string, options: RequestOptions): Promise<Exchange> {
    const socket = this.socket as net.Socket;
    return new Promise((resolve, reject) => {
      const retriable = this.served > 0 || this.preconnected;
      this.exchange = new Exchange(this, options.method, retriable, resolve, reject);
      socket.ref();
      socket.setTimeout(options.timeoutMs);
      socket.resume();
      socket.write(head);
    });
  }

  /** Waits idle in the pool: the process may exit meanwhile, and it closes after `ms`. */
  park(ms: number): void {
    const socket = this.socket as net.Socket;
    socket.setTimeout(ms);
    socket.unref();
  }

  onData(bytes: Buffer): boolean {
    if (!this.exchange) {
      // Nothing was asked: a server that sends anyway cannot be trusted with the next request.
      this.destroy();
      return false;
    }
    return this.exchange.feed(bytes);
  }

  /** The exchange is over; the connection goes back to the pool or is closed. */
  finished(exchange: Exchange, reusable: boolean): void {
    if (this.exchange !== exchange) return;
    this.exchange = undefined;
    this.served++;
    if (reusable && this.usable) this.client.release(this);
    else this.destroy();
  }

  resume(): void {
    this.socket?.resume();
  }

  destroy(): void {
    if (!this.closed) this.socket?.destroy();
    this.markClosed();
  }

  private onEnd(): void {
    const exchange = this.exchange;
    if (exchange) exchange.eof();
    else this.destroy();
  }

  private onClose(err: Error): void {
    const exchange = this.exchange;
    this.exchange = undefined;
    this.markClosed();
    exchange?.fail(err);
  }

  private markClosed(): void {
    if (this.closed) return;
    this.closed = true;
    this.client.forget(this);
  }
}

/** One request's response, parsed as its bytes arrive. */
class Exchange implements HttpResponse {
  status = 0;
  headers: Record<string, string> = {};
  complete = false;
  private readonly connection: Connection;
  private readonly method: string;
  private readonly reused: boolean;
  private resolveHead: ((response: Exchange) => void) | undefined;
  private rejectHead: ((err: Error) => void) | undefined;
  private state: State = 'head';
  private headBytes: Buffer = Buffer.alloc(0);
  private sawBytes = false;
  private remaining = 0;
  private chunkLine = '';
  private keepAlive = false;
  private handlers: BodyHandlers | undefined;
  /** Body bytes that arrived before `read`: copied, delivered when it is called. */
  private pending: Buffer[] = [];
  private ended = false;
  private failure: Error | undefined;
  private wantsPause = false;

  constructor(
    connection: Connection,
    method: string,
    reused: boolean,
    resolve: (response: Exchange) => void,
    reject: (err: Error) => void,
  ) {
    this.connection = connection;
    this.method = method;
    this.reused = reused;
    this.resolveHead = resolve;
    this.rejectHead = reject;
  }

  read(handlers: BodyHandlers): void {
    if (this.handlers) throw new Error('the body is already being read');
    this.handlers = handlers;
    for (const chunk of this.pending.splice(0)) {
      if (handlers.data(chunk) === false) this.wantsPause = true;
    }
    if (this.failure) handlers.error(this.failure);
    else if (this.ended) handlers.end();
    else if (!this.wantsPause) this.connection.resume();
  }

  resume(): void {
    this.wantsPause = false;
    if (!this.ended && !this.failure) this.connection.resume();
  }

  body(limit: number): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let length = 0;
      this.read({
        data: (chunk) => {
          length += chunk.length;
          if (length > limit) {
            this.destroy();
            reject(new HttpProtocolError(`response larger than ${limit} bytes`));
            return false;
          }
          chunks.push(Buffer.from(chunk));
          return true;
        },
        end: () => resolve(Buffer.concat(chunks)),
        error: reject,
      });
    });
  }

  discard(): void {
    if (this.complete) {
      if (!this.handlers) this.read({ data: () => true, end: () => {}, error: () => {} });
      return;
    }
    const short = this.state === 'length' && this.remaining <= DISCARD_LIMIT_BYTES;
    if (!short || this.handlers) {
      this.destroy();
      return;
    }
    this.read({ data: () => true, end: () => {}, error: () => {} });
  }

  destroy(): void {
    // The reader chose to stop: it is not told of an error of its own making.
    if (!this.complete && !this.failure)
      this.failure = new HttpProtocolError('the response was abandoned');
    this.connection.destroy();
  }

  /** Takes bytes from the connection; false pauses reading. */
  feed(bytes: Buffer): boolean {
    this.sawBytes = true;
    let rest = bytes;
    while (rest.length > 0) {
      if (this.state === 'head') {
        rest = this.feedHead(rest);
        continue;
      }
      if (this.state === 'done') {
        // No pipelining: bytes after a complete response mean the framing was wrong.
        this.keepAlive = false;
        this.connection.destroy();
        return false;
      }
      rest = this.feedBody(rest);
      if (this.failure) return false;
    }
    // Until the head is complete there is no reader to wait for; after it, the body waits for one.
    if (this.state === 'head') return true;
    return !this.wantsPause && this.handlers !== undefined;
  }

  eof(): void {
    if (this.state === 'until-close') {
      this.keepAlive = false;
      this.finish();
      return;
    }
    if (this.state === 'done') return;
    this.fail(
      this.state === 'head'
        ? this.staleOr(new HttpProtocolError('the connection closed before the response'))
        : new HttpProtocolError('the connection closed before the end of the body'),
    );
    this.connection.destroy();
  }

  fail(err: Error): void {
    if (this.complete || this.failure) return;
    if (this.rejectHead) {
      const reject = this.rejectHead;
      this.rejectHead = undefined;
      this.resolveHead = undefined;
      this.failure = err;
      reject(this.state === 'head' ? this.staleOr(err) : err);
      return;
    }
    this.failure = err;
    this.handlers?.error(err);
  }

  private staleOr(err: Error): Error {
    return this.reused && !this.sawBytes ? new StaleConnectionError(err.message) : err;
  }

  private feedHead(bytes: Buffer): Buffer {
    const joined = this.headBytes.length > 0 ? Buffer.concat([this.headBytes, bytes]) : bytes;
    const end = joined.indexOf(CRLF2);
    if (end < 0) {
      if (joined.length > MAX_HEAD_BYTES) {
        this.protocolError(`response headers longer than ${MAX_HEAD_BYTES} bytes`);
        return Buffer.alloc(0);
      }
      this.headBytes = Buffer.from(joined);
      return Buffer.alloc(0);
    }
    this.headBytes = Buffer.alloc(0);
    const rest = joined.subarray(end + 4);
    const lines = joined.subarray(0, end).toString('latin1').split('\r\n');
    const status = /^HTTP\/1\.([01]) (\d{3})(?: |$)/.exec(lines[0] ?? '');
    if (!status) {
      this.protocolError(
        `not an HTTP/1.x response: ${JSON.stringify((lines[0] ?? '').slice(0, 40))}`,
      );
      return Buffer.alloc(0);
    }
    const code = Number(status[2]);
    if (code >= 100 && code < 200) return rest; // 100 Continue and the like: the real head follows.
    const headers: Record<string, string> = {};
    let last = '';
    for (const line of lines.slice(1)) {
      if (/^[ \t]/.test(line) && last) {
        headers[last] += ` ${line.trim()}`;
        continue;
      }
      const colon = line.indexOf(':');
      if (colon <= 0) continue;
      last = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      headers[last] = last in headers ? `${headers[last]}, ${value}` : value;
    }
    this.status = code;
    this.headers = headers;
    const connectionHeader = (headers.connection ?? '').toLowerCase();
    this.keepAlive =
      status[1] === '1'
        ? !/\bclose\b/.test(connectionHeader)
        : /\bkeep-alive\b/.test(connectionHeader);
    const encoding = (headers['transfer-encoding'] ?? '').toLowerCase();
    if (this.method === 'HEAD' || code === 204 || code === 304) {
      this.state = 'done';
    } else if (encoding) {
      this.state = /(^|,)\s*chunked\s*$/.test(encoding) ? 'chunk-size' : 'until-close';
    } else if (headers['content-length'] !== undefined) {
      const values = new Set(headers['content-length'].split(',').map((v) => v.trim()));
      const length = Number([...values][0]);
      if (
        values.size !== 1 ||
        !/^\d+$/.test([...values][0] ?? '') ||
        !Number.isSafeInteger(length)
      ) {
        this.protocolError(`bad Content-Length ${JSON.stringify(headers['content-length'])}`);
        return Buffer.alloc(0);
      }
      this.remaining = length;
      this.state = length === 0 ? 'done' : 'length';
    } else {
      this.state = 'until-close';
    }
    if (this.state === 'until-close') this.keepAlive = false;
    const resolve = this.resolveHead;
    this.resolveHead = undefined;
    this.rejectHead = undefined;
    resolve?.(this);
    if (this.state === 'done') this.finish();
    return rest;
  }

  private feedBody(bytes: Buffer): Buffer {
    switch (this.state) {
      case 'length': {
        const take = Math.min(this.remaining, bytes.length);
        this.deliver(bytes.subarray(0, take));
        this.remaining -= take;
        if (this.remaining === 0) this.finish();
        return bytes.subarray(take);
      }
      case 'until-close':
        this.deliver(bytes);
        return Buffer.alloc(0);
      case 'chunk-size':
      case 'trailers': {
        const newline = bytes.indexOf(0x0a);
        const part = bytes.subarray(0, newline < 0 ? bytes.length : newline).toString('latin1');
        this.chunkLine += part;
        if (this.chunkLine.length > 4096) {
          this.protocolError('a chunk-size or trailer line longer than 4096 bytes');
          return Buffer.alloc(0);
        }
        if (newline < 0) return Buffer.alloc(0);
        const line = this.chunkLine.replace(/\r$/, '');
        this.chunkLine = '';
        if (this.state === 'trailers') {
          if (line === '') this.finish();
          return bytes.subarray(newline + 1);
        }
        const size = /^([0-9a-fA-F]{1,12})[ \t]*(;.*)?$/.exec(line);
        if (!size) {
          this.protocolError(`bad chunk size line ${JSON.stringify(line.slice(0, 40))}`);
          return Buffer.alloc(0);
        }
        this.remaining = Number.parseInt(size[1] as string, 16);
        this.state = this.remaining === 0 ? 'trailers' : 'chunk-data';
        return bytes.subarray(newline + 1);
      }
      case 'chunk-data': {
        const take = Math.min(this.remaining, bytes.length);
        this.deliver(bytes.subarray(0, take));
        this.remaining -= take;
        if (this.remaining === 0) {
          this.state = 'chunk-end';
          this.remaining = 2;
        }
        return bytes.subarray(take);
      }
      case 'chunk-end': {
        // The CRLF after a chunk's data; it may arrive split across reads.
        const take = Math.min(this.remaining, bytes.length);
        const expected = this.remaining === 2 ? '\r\n' : '\n';
        if (bytes.subarray(0, take).toString('latin1') !== expected.slice(0, take)) {
          this.protocolError('chunk data not followed by CRLF');
          return Buffer.alloc(0);
        }
        this.remaining -= take;
        if (this.remaining === 0) this.state = 'chunk-size';
        return bytes.subarray(take);
      }
      default:
        return Buffer.alloc(0);
    }
  }

  private deliver(chunk: Buffer): void {
    if (chunk.length === 0) return;
    if (this.handlers && this.pending.length === 0) {
      if (this.handlers.data(chunk) === false) this.wantsPause = true;
    } else {
      this.pending.push(Buffer.from(chunk));
    }
  }

  private finish(): void {
    if (this.complete) return;
    this.state = 'done';
    this.complete = true;
    this.ended = true;
    this.connection.finished(this, this.keepAlive);
    if (this.handlers && this.pending.length === 0) this.handlers.end();
  }

  private protocolError(message: string): void {
    this.fail(new HttpProtocolError(message));
    this.connection.destroy();
  }
}
