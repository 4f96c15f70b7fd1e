import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  discard,
  HttpClient,
  readBody,
  UnsafeHeaderError,
} from '../../../src/actions/layer-cache/http.ts';

const PROXY_VARIABLES = [
  'HTTP_PROXY',
  'http_proxy',
  'HTTPS_PROXY',
  'https_proxy',
  'NO_PROXY',
  'no_proxy',
];

const closers: Array<() => Promise<unknown>> = [];

beforeEach(() => {
  // Whatever proxy the machine running the tests has, each test says which one it means.
  for (const name of PROXY_VARIABLES) vi.stubEnv(name, undefined);
});

afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
  vi.unstubAllEnvs();
});

/** The action's client as the action builds it: proxy settings from the environment. */
function client(idleTimeoutMs = 5000): HttpClient {
  const c = new HttpClient({ idleTimeoutMs });
  closers.push(() => c.destroy());
  return c;
}

interface Server {
  origin: string;
  host: string;
  connections: number;
  requests: Array<{ method: string; url: string; headers: http.IncomingHttpHeaders }>;
}

async function listen(server: http.Server | https.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(() => {
    server.closeAllConnections();
    return new Promise((resolve) => server.close(resolve));
  });
  return (server.address() as AddressInfo).port;
}

async function serve(
  answer: (req: http.IncomingMessage, res: http.ServerResponse) => void,
): Promise<Server> {
  const state: Server = { origin: '', host: '', connections: 0, requests: [] };
  const server = http.createServer((req, res) => {
    state.requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    answer(req, res);
  });
  server.on('connection', () => state.connections++);
  const port = await listen(server);
  state.host = `127.0.0.1:${port}`;
  state.origin = `http://${state.host}`;
  return state;
}

/**
 * A forward proxy: absolute-form requests are logged and sent on; CONNECT requests are logged
 * and refused, so a test sees which origin a client asked to tunnel to without any DNS.
 */
async function startProxy() {
  const seen: string[] = [];
  const server = http.createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    const target = new URL(req.url ?? '');
    const upstream = http.request(
      target,
      { method: req.method, headers: req.headers, agent: false },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.writeHead(502).end());
    req.pipe(upstream);
  });
  server.on('connect', (req: http.IncomingMessage, socket: Socket) => {
    seen.push(`CONNECT ${req.url}`);
    socket.end('HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n');
  });
  const port = await listen(server);
  return { url: `http://127.0.0.1:${port}`, seen };
}

describe('connections', () => {
  it('keeps one connection per origin open for the requests that follow', async () => {
    const a = await serve((_req, res) => res.end('a'));
    const b = await serve((_req, res) => res.end('b'));
    const c = client();

    for (let i = 0; i < 3; i++) {
      for (const server of [a, b]) {
        const res = await c.request(new URL(`${server.origin}/v2/`), { method: 'GET' });
        await readBody(res, 10);
      }
    }

    expect(a.requests).toHaveLength(3);
    expect([a.connections, b.connections]).toEqual([1, 1]);
  });

  it('a short body thrown away leaves the connection ready for the next request', async () => {
    const server = await serve((req, res) =>
      req.url === '/denied' ? res.writeHead(401).end('{"errors":[]}') : res.end('ok'),
    );
    const c = client();

    await discard(await c.request(new URL(`${server.origin}/denied`), { method: 'GET' }));
    const res = await c.request(new URL(`${server.origin}/ok`), { method: 'GET' });

    expect((await readBody(res, 10)).toString()).toBe('ok');
    expect(server.connections).toBe(1);
  });

  it('will not put a line break from a header value on the wire', async () => {
    const server = await serve((_req, res) => res.end());

    await expect(
      client().request(new URL(`${server.origin}/`), {
        method: 'GET',
        headers: { authorization: 'Bearer x\r\nX-Injected: 1' },
      }),
    ).rejects.toThrow(new UnsafeHeaderError('header authorization contains a line break'));
    expect(server.requests).toEqual([]);
  });

  it('gives up on a server that sends no answer within the idle timeout', async () => {
    const server = await serve(() => {});

    await expect(
      client(200).request(new URL(`${server.origin}/`), { method: 'GET' }),
    ).rejects.toThrow(/timeout/i);
  });

  it('refuses a registry whose TLS certificate nobody trusts', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'layer-cache-tls-'));
    closers.push(async () => rmSync(dir, { recursive: true, force: true }));
    const [key, cert] = [path.join(dir, 'key.pem'), path.join(dir, 'cert.pem')];
    execFileSync(
      'openssl',
      [
        ...['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1'],
        ...['-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'],
        ...['-keyout', key, '-out', cert],
      ],
      { stdio: 'ignore' },
    );
    let served = 0;
    const server = https.createServer(
      { key: readFileSync(key), cert: readFileSync(cert) },
      (_req, res) => {
        served++;
        res.end('secret');
      },
    );
    const port = await listen(server);

    await expect(
      client().request(new URL(`https://127.0.0.1:${port}/v2/`), { method: 'GET' }),
    ).rejects.toThrow(/self[- ]signed|certificate/);
    expect(served).toBe(0);
  });
});

describe('bodies', () => {
  it('refuses a body larger than the caller allows, whether or not its length is declared', async () => {
    const server = await serve((req, res) => {
      if (req.url === '/declared') res.writeHead(200, { 'content-length': 20 });
      res.end('01234567890123456789');
    });
    const c = client();

    for (const where of ['/declared', '/chunked']) {
      const res = await c.request(new URL(`${server.origin}${where}`), { method: 'GET' });
      await expect(readBody(res, 10)).rejects.toThrow('response larger than 10 bytes');
    }
  });
});

describe('proxies from the environment', () => {
  const registry = () =>
    serve((req, res) => res.end(JSON.stringify({ path: req.url, via: req.headers.via ?? '' })));

  it.each(['HTTP_PROXY', 'http_proxy'])('sends plain-http requests through %s', async (name) => {
    const target = await registry();
    const proxy = await startProxy();
    vi.stubEnv(name, proxy.url);

    const res = await client().request(new URL(`${target.origin}/v2/app/manifests/v1`), {
      method: 'GET',
    });

    expect(res.status).toBe(200);
    expect(proxy.seen).toEqual([`GET ${target.origin}/v2/app/manifests/v1`]);
    expect(target.requests.map((r) => r.url)).toEqual(['/v2/app/manifests/v1']);
  });

  it.each([
    ['NO_PROXY', '127.0.0.1'],
    ['no_proxy', 'example.com, 127.0.0.1'],
    ['NO_PROXY', '*'],
  ])('goes direct to a host %s names (%s)', async (name, value) => {
    const target = await registry();
    const proxy = await startProxy();
    vi.stubEnv('HTTP_PROXY', proxy.url);
    vi.stubEnv(name, value);

    const res = await client().request(new URL(`${target.origin}/v2/`), { method: 'GET' });

    expect(res.status).toBe(200);
    expect(proxy.seen).toEqual([]);
  });

  it('goes through the proxy when NO_PROXY names the host on another port', async () => {
    const target = await registry();
    const proxy = await startProxy();
    vi.stubEnv('HTTP_PROXY', proxy.url);
    vi.stubEnv('NO_PROXY', '127.0.0.1:1');

    await readBody(await client().request(new URL(`${target.origin}/v2/`), { method: 'GET' }), 1e4);

    expect(proxy.seen).toEqual([`GET ${target.origin}/v2/`]);
  });

  it.each([
    ['HTTPS_PROXY', 'HTTPS_PROXY'],
    ['https_proxy', 'https_proxy'],
    ['HTTP_PROXY', 'HTTP_PROXY alone'],
  ])('tunnels https through %s with CONNECT (%s)', async (name) => {
    const proxy = await startProxy();
    vi.stubEnv(name, proxy.url);

    const answer = client().request(
      new URL('https://123456789012.dkr.ecr.eu-west-1.amazonaws.com/v2/'),
      { method: 'GET' },
    );

    await expect(answer).rejects.toThrow(/403/);
    expect(proxy.seen).toEqual(['CONNECT 123456789012.dkr.ecr.eu-west-1.amazonaws.com:443']);
  });
});
