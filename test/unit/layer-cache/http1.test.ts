import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { Http1Client, HttpProtocolError } from '../../../src/actions/layer-cache/http1.ts';

/**
 * A raw TCP server: each request (the bytes up to a blank line) is answered by `answer`, which
 * writes whatever bytes it likes, so framing edge cases are exact.
 */
interface Raw {
  url: string;
  connections: number;
  requests: string[];
  close(): Promise<void>;
}

const servers: Array<net.Server | tls.Server> = [];
const clients: Http1Client[] = [];
let scratch: string | undefined;

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  for (const s of servers.splice(0)) await new Promise((resolve) => s.close(resolve));
  if (scratch) rmSync(scratch, { recursive: true, force: true });
  scratch = undefined;
});

function client(options: { ca?: string } = {}): Http1Client {
  const c = new Http1Client(options);
  clients.push(c);
  return c;
}

async function raw(
  answer: (socket: net.Socket, request: string, index: number) => void,
  secure?: { key: string; cert: string },
): Promise<Raw> {
  const state: Raw = { url: '', connections: 0, requests: [], close: async () => {} };
  const onSocket = (socket: net.Socket) => {
    state.connections++;
    let pending = '';
    socket.on('error', () => {});
    socket.on('data', (data) => {
      pending += data.toString('latin1');
      for (let end = pending.indexOf('\r\n\r\n'); end >= 0; end = pending.indexOf('\r\n\r\n')) {
        const request = pending.slice(0, end);
        pending = pending.slice(end + 4);
        state.requests.push(request);
        answer(socket, request, state.requests.length - 1);
      }
    });
  };
  const server = secure ? tls.createServer(secure, onSocket) : net.createServer(onSocket);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  state.url = `${secure ? 'https' : 'http'}://127.0.0.1:${port}`;
  return state;
}

const GET = { method: 'GET', timeoutMs: 5000 } as const;

describe('framing', () => {
  it('reads a Content-Length body sent in pieces, and reuses the connection for the next request', async () => {
    const server = await raw((socket) => {
      socket.write('HTTP/1.1 200 OK\r\nContent-Length: 11\r\nX-Thing: a\r\n');
      setTimeout(() => socket.write('x-thing: b\r\n\r\nhello'), 5);
      setTimeout(() => socket.write(' world'), 10);
    });
    const http = client();

    const first = await http.request(new URL(`${server.url}/a`), GET);
    expect(first.status).toBe(200);
    expect(first.headers['x-thing']).toBe('a, b');
    expect((await first.body(100)).toString()).toBe('hello world');
    const second = await http.request(new URL(`${server.url}/b`), GET);
    expect((await second.body(100)).toString()).toBe('hello world');

    expect(server.connections).toBe(1);
    expect(server.requests[1]).toMatch(/^GET \/b HTTP\/1\.1\r\nhost: 127\.0\.0\.1:\d+$/);
  });

  it('decodes chunked bodies split at every awkward place, with extensions and trailers', async () => {
    const wire = '5;ext=1\r\nhello\r\n1\r\n \r\nA\r\n0123456789\r\n0\r\nTrailer: x\r\n\r\n';
    const server = await raw((socket) => {
      socket.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n');
      // One byte per write: every boundary falls inside some read.
      let i = 0;
      const next = () => {
        if (i < wire.length) socket.write(wire[i++]!, () => setImmediate(next));
      };
      next();
    });
    const http = client();

    const res = await http.request(new URL(`${server.url}/`), GET);
    expect((await res.body(100)).toString()).toBe('hello 0123456789');
    expect(res.complete).toBe(true);
    const again = await http.request(new URL(`${server.url}/`), GET);
    expect((await again.body(100)).toString()).toBe('hello 0123456789');
    expect(server.connections).toBe(1);
  });

  it('reads a body that ends when the server closes, and does not reuse that connection', async () => {
    const server = await raw((socket) => {
      socket.end('HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil the end');
    });
    const http = client();

    const res = await http.request(new URL(`${server.url}/`), GET);
    expect((await res.body(100)).toString()).toBe('until the end');
    await (await http.request(new URL(`${server.url}/`), GET)).body(100);
    expect(server.connections).toBe(2);
  });

  it('expects no body after HEAD, whatever Content-Length says, and skips 100 Continue', async () => {
    const server = await raw((socket, request) => {
      if (request.startsWith('HEAD')) {
        socket.write(
          'HTTP/1.1 200 OK\r\nContent-Length: 1234\r\nDocker-Content-Digest: sha256:ab\r\n\r\n',
        );
      } else {
        socket.write('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
      }
    });
    const http = client();

    const head = await http.request(new URL(`${server.url}/`), { ...GET, method: 'HEAD' });
    expect(head.headers['docker-content-digest']).toBe('sha256:ab');
    expect(head.complete).toBe(true);
    const get = await http.request(new URL(`${server.url}/`), GET);
    expect(get.status).toBe(200);
    expect((await get.body(10)).toString()).toBe('ok');
    expect(server.connections).toBe(1);
  });
});

describe('broken servers and connections', () => {
  it('sends the request again on a new connection when a kept-alive one closes unanswered', async () => {
    const server = await raw((socket, _request, index) => {
      // The second request arrives as the server gives up on the idle connection.
      if (index === 1) socket.destroy();
      else socket.write('HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n1');
    });
    const http = client();
    await (await http.request(new URL(`${server.url}/`), GET)).body(10);

    const res = await http.request(new URL(`${server.url}/`), GET);

    expect((await res.body(10)).toString()).toBe('1');
    expect(server.requests).toHaveLength(3);
    expect(server.connections).toBe(2);
  });

  it('does not send a request again when a new connection closes unanswered', async () => {
    const server = await raw((socket) => socket.destroy());

    await expect(client().request(new URL(`${server.url}/`), GET)).rejects.toThrow(
      /closed|ECONNRESET/,
    );
    expect(server.requests).toHaveLength(1);
  });

  it('reports a body cut short as an error, not as the end', async () => {
    const server = await raw((socket) => {
      socket.write('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly some', () =>
        socket.destroy(),
      );
    });

    const res = await client().request(new URL(`${server.url}/`), GET);

    await expect(res.body(1000)).rejects.toThrow(/closed before the end of the body|closed/);
  });

  it.each([
    ['a status line that is not HTTP', 'SSH-2.0-OpenSSH\r\n\r\n', /not an HTTP\/1\.x response/],
    [
      'two different Content-Lengths',
      'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello',
      /bad Content-Length/,
    ],
  ])('refuses %s', async (_what, wire, message) => {
    const server = await raw((socket) => socket.write(wire));

    const answer = client().request(new URL(`${server.url}/`), GET);

    await expect(answer).rejects.toThrow(HttpProtocolError);
    await expect(answer).rejects.toThrow(message);
  });

  it('refuses a chunk size that is not hexadecimal', async () => {
    const server = await raw((socket) =>
      socket.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n'),
    );

    const res = await client().request(new URL(`${server.url}/`), GET);

    await expect(res.body(100)).rejects.toThrow(/bad chunk size line/);
  });

  it('gives up on a server that goes quiet, naming how long it waited', async () => {
    const server = await raw((socket) =>
      socket.write('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n'),
    );

    const res = await client().request(new URL(`${server.url}/`), { ...GET, timeoutMs: 100 });

    await expect(res.body(100)).rejects.toThrow(/no data for 0s|closed/);
  });

  it('will not put a line break from a header value on the wire', async () => {
    const server = await raw(() => {});
    await expect(
      client().request(new URL(`${server.url}/`), {
        ...GET,
        headers: { authorization: 'Bearer x\r\nX-Injected: 1' },
      }),
    ).rejects.toThrow('header authorization contains a line break');
    expect(server.requests).toEqual([]);
  });
});

describe('connecting ahead', () => {
  const until = async (done: () => boolean) => {
    for (let i = 0; i < 200 && !done(); i++) await new Promise((r) => setTimeout(r, 5));
  };

  it('sends the first request on the connection opened ahead of it', async () => {
    const server = await raw((socket) =>
      socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok'),
    );
    const http = client();

    http.preconnect(new URL(`${server.url}/`));
    await until(() => server.connections === 1);
    expect(server.requests).toEqual([]);
    const res = await http.request(new URL(`${server.url}/v2/`), GET);

    expect((await res.body(10)).toString()).toBe('ok');
    expect(server.connections).toBe(1);
    expect(server.requests).toHaveLength(1);
  });

  it('asks again on a new connection when the one opened ahead closes unanswered', async () => {
    const server = await raw((socket, _request, index) => {
      // The connection opened ahead is one the server drops as the first request arrives.
      if (index === 0) socket.destroy();
      else socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
    });
    const http = client();

    http.preconnect(new URL(`${server.url}/`));
    await until(() => server.connections === 1);
    const res = await http.request(new URL(`${server.url}/`), GET);

    expect((await res.body(10)).toString()).toBe('ok');
    expect(server.connections).toBe(2);
    expect(server.requests).toHaveLength(2);
  });

  it('reports why a registry cannot be reached, whatever happened to the connection opened ahead', async () => {
    const server = await raw(() => {});
    const url = new URL(`${server.url}/`);
    await new Promise((resolve) => (servers.pop() as net.Server).close(resolve));
    const http = client();

    http.preconnect(url);

    await expect(http.request(url, GET)).rejects.toThrow(/ECONNREFUSED/);
  });
});

describe('streaming', () => {
  it('stops reading while the reader asks to, and loses nothing', async () => {
    const body = Buffer.alloc(5 * 1024 * 1024);
    for (let i = 0; i < body.length; i++) body[i] = (i * 31) & 0xff;
    const server = await raw((socket) => {
      socket.write(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n`);
      socket.write(body);
    });
    const res = await client().request(new URL(`${server.url}/`), GET);
    const hash = createHash('sha256');
    let pauses = 0;
    let received = 0;

    await new Promise<void>((resolve, reject) => {
      res.read({
        data: (chunk) => {
          hash.update(chunk);
          received += chunk.length;
          if (received > pauses * 1024 * 1024 + 512 * 1024) {
            pauses++;
            setTimeout(() => res.resume(), 5);
            return false;
          }
          return true;
        },
        end: resolve,
        error: reject,
      });
    });

    expect(received).toBe(body.length);
    expect(pauses).toBeGreaterThan(3);
    expect(hash.digest('hex')).toBe(createHash('sha256').update(body).digest('hex'));
  });

  it('refuses a body larger than the caller allows', async () => {
    const server = await raw((socket) =>
      socket.write('HTTP/1.1 200 OK\r\nContent-Length: 20\r\n\r\n01234567890123456789'),
    );

    const res = await client().request(new URL(`${server.url}/`), GET);

    await expect(res.body(10)).rejects.toThrow('response larger than 10 bytes');
  });
});

describe('TLS', () => {
  it('speaks HTTP over TLS, checking the certificate, and reuses the connection', async () => {
    scratch = mkdtempSync(path.join(tmpdir(), 'http1-tls-'));
    const key = path.join(scratch, 'key.pem');
    const cert = path.join(scratch, 'cert.pem');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
        '-days',
        '1',
        '-keyout',
        key,
        '-out',
        cert,
      ],
      { stdio: 'ignore' },
    );
    const secure = { key: readFileSync(key, 'utf8'), cert: readFileSync(cert, 'utf8') };
    const payload = Buffer.alloc(300_000, 7);
    const server = await raw((socket) => {
      socket.write(`HTTP/1.1 200 OK\r\nContent-Length: ${payload.length}\r\n\r\n`);
      socket.write(payload);
    }, secure);

    const trusting = client({ ca: secure.cert });
    const first = await trusting.request(new URL(`${server.url}/`), GET);
    expect((await first.body(1_000_000)).equals(payload)).toBe(true);
    await (await trusting.request(new URL(`${server.url}/`), GET)).body(1_000_000);
    expect(server.connections).toBe(1);

    await expect(client().request(new URL(`${server.url}/`), GET)).rejects.toThrow(
      /self[- ]signed|certificate/,
    );
  });
});
