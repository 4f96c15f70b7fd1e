// The built action behind a real forward proxy: Debian's tinyproxy on 127.0.0.1, the proxy
// chosen by the standard environment variables on the action's process, as a self-hosted runner
// behind a corporate proxy has them.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Registry, startRegistry } from '../../sandbox/registry.ts';
import { blobRequests, checkLayout, publish, runLayerCache, tempDir } from './helpers.ts';

const TINYPROXY = '/usr/bin/tinyproxy';

/** Every proxy variable unset: each test names the ones it means, whatever the machine has. */
const NO_PROXY_ENV = {
  HTTP_PROXY: undefined,
  http_proxy: undefined,
  HTTPS_PROXY: undefined,
  https_proxy: undefined,
  NO_PROXY: undefined,
  no_proxy: undefined,
};

interface Proxy {
  url: string;
  /** `METHOD target` of every request the proxy received, in order. */
  requests(): string[];
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as net.AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

async function accepting(port: number, deadline: number): Promise<void> {
  while (Date.now() < deadline) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => resolve(socket.destroy() !== undefined));
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`tinyproxy did not listen on 127.0.0.1:${port}`);
}

/** tinyproxy cannot take port 0, so a free port is picked first and handed to it. */
async function startTinyproxy(): Promise<Proxy> {
  const dir = tempDir('tinyproxy');
  const log = path.join(dir, 'tinyproxy.log');
  const config = path.join(dir, 'tinyproxy.conf');
  const port = await freePort();
  writeFileSync(
    config,
    [
      `Port ${port}`,
      'Listen 127.0.0.1',
      'Timeout 60',
      `LogFile "${log}"`,
      'LogLevel Info',
      'MaxClients 64',
      'Allow 127.0.0.1',
      '',
    ].join('\n'),
  );
  const child: ChildProcess = spawn(TINYPROXY, ['-d', '-c', config], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await accepting(port, Date.now() + 10_000);
  return {
    url: `http://127.0.0.1:${port}`,
    requests: () =>
      existsSync(log)
        ? [
            ...readFileSync(log, 'utf8').matchAll(/Request \(file descriptor \d+\): (\S+ \S+)/g),
          ].map((m) => m[1]!)
        : [],
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/**
 * The registry over TLS at 127.0.0.2, an address the action treats as remote (plain http is only
 * for localhost and 127.0.0.1), with a certificate the action trusts through NODE_EXTRA_CA_CERTS.
 */
async function startTlsFront(registry: Registry) {
  const dir = tempDir('tls');
  const [key, cert] = [path.join(dir, 'key.pem'), path.join(dir, 'cert.pem')];
  execFileSync(
    'openssl',
    [
      ...['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1'],
      ...['-subj', '/CN=127.0.0.2', '-addext', 'subjectAltName=IP:127.0.0.2'],
      ...['-keyout', key, '-out', cert],
    ],
    { stdio: 'ignore' },
  );
  const [upstreamHost, upstreamPort] = registry.host.split(':') as [string, string];
  const server = tls.createServer(
    { key: readFileSync(key), cert: readFileSync(cert) },
    (socket) => {
      const upstream = net.connect(Number(upstreamPort), upstreamHost);
      socket.pipe(upstream).pipe(socket);
      socket.on('error', () => upstream.destroy());
      upstream.on('error', () => socket.destroy());
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.2', resolve));
  return {
    host: `127.0.0.2:${(server.address() as net.AddressInfo).port}`,
    ca: cert,
    stop: () => new Promise((resolve) => server.close(resolve)),
  };
}

let registry: Registry;
let proxy: Proxy;

beforeAll(async () => {
  registry = await startRegistry();
  proxy = await startTinyproxy();
});

afterAll(async () => {
  await proxy?.stop();
  await registry?.stop();
});

beforeEach(() => {
  registry.faults.clear();
  registry.resetRequests();
});

const layers = (seeds: string[]) => seeds.map((seed) => ({ size: 300_000, seed }));

describe('layer-cache behind a forward proxy', () => {
  it('with HTTP_PROXY set, every registry and blob-storage request goes through the proxy', async () => {
    const image = await publish(registry, 'proxied', 'v1', { layers: layers(['x1', 'x2']) });
    registry.faults.redirectBlobs(true);
    const before = proxy.requests().length;

    const result = await runLayerCache(
      { images: `${registry.host}/proxied:v1`, 'cache-dir': tempDir('store') },
      { env: { ...NO_PROXY_ENV, HTTP_PROXY: proxy.url } },
    );

    expect(result.errors).toEqual([]);
    expect(result.outputs['layers-from-registry']).toBe('2');
    checkLayout(result.outputs['oci-dir']!);
    const seen = proxy.requests().slice(before);
    expect(seen).toContain(`GET http://${registry.host}/v2/proxied/manifests/v1`);
    const blobs = [image.config.digest, ...image.layers.map((l) => l.digest)];
    for (const digest of blobs) {
      expect(seen).toContain(`GET http://${registry.host}/v2/proxied/blobs/${digest}`);
    }
    // The redirect to blob storage was followed through the proxy too.
    const storage = registry.requests.filter((r) => r.via === 'storage');
    expect(storage.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(
      seen.filter((r) => r.includes('/proxied/blobs/') && !r.includes(registry.host)),
    ).toHaveLength(3);
    expect(seen).toHaveLength(registry.requests.length);
  });

  it('with no_proxy naming the registry, it goes direct and the proxy sees nothing', async () => {
    await publish(registry, 'direct', 'v1', { layers: layers(['d1']) });
    const before = proxy.requests().length;

    const result = await runLayerCache(
      { images: `${registry.host}/direct:v1`, 'cache-dir': tempDir('store') },
      { env: { ...NO_PROXY_ENV, http_proxy: proxy.url, no_proxy: `example.com,${registry.host}` } },
    );

    expect(result.errors).toEqual([]);
    expect(blobRequests(registry)).toHaveLength(2);
    expect(proxy.requests().slice(before)).toEqual([]);
  });

  it('tunnels to an https registry through HTTPS_PROXY with CONNECT, checking its certificate', async () => {
    const image = await publish(registry, 'secure', 'v1', { layers: layers(['s1', 's2']) });
    const front = await startTlsFront(registry);
    const before = proxy.requests().length;
    try {
      const ref = `${front.host}/secure:v1`;

      const result = await runLayerCache(
        { images: ref, 'cache-dir': tempDir('store') },
        { env: { ...NO_PROXY_ENV, HTTPS_PROXY: proxy.url, NODE_EXTRA_CA_CERTS: front.ca } },
      );

      expect(result.errors).toEqual([]);
      expect(JSON.parse(result.outputs.digests!)).toEqual({ [ref]: image.pushedDigest });
      checkLayout(result.outputs['oci-dir']!);
      const seen = proxy.requests().slice(before);
      expect(seen.length).toBeGreaterThan(0);
      expect(new Set(seen)).toEqual(new Set([`CONNECT ${front.host}`]));
      expect(blobRequests(registry)).toHaveLength(3);

      const untrusted = await runLayerCache(
        { images: ref, 'cache-dir': tempDir('store') },
        { env: { ...NO_PROXY_ENV, HTTPS_PROXY: proxy.url } },
      );
      expect(untrusted.exitCode).toBe(1);
      expect(untrusted.errors[0]).toMatch(
        /^127\.0\.0\.2:\d+\/secure:v1: resolving the manifest: .*certificate/,
      );
    } finally {
      await front.stop();
    }
  });
});
