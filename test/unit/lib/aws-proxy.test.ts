// AWS clients reach their endpoint through the forward proxy the environment names, as a
// self-hosted runner behind a corporate proxy needs, and around it for hosts NO_PROXY lists. The
// proxy is Debian's tinyproxy; the endpoint a local server answering ECS's ListClusters.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { ECSClient, ListClustersCommand } from '@aws-sdk/client-ecs';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test, vi } from 'vitest';
import { awsClientConfig, createAwsClient, proxyConfigured } from '../../../src/lib/aws.ts';
import { startTinyproxy, type Tinyproxy } from './tinyproxy.ts';

const CLUSTER = 'arn:aws:ecs:us-east-1:123456789012:cluster/prod';

/** Every request the endpoint saw, with the Via header a proxy adds on the way. */
let seen: Array<{ via: string | undefined }>;

function answer(req: IncomingMessage, res: ServerResponse) {
  seen.push({ via: req.headers.via });
  req.resume();
  req.on('end', () => {
    res.setHeader('content-type', 'application/x-amz-json-1.1');
    res.end(JSON.stringify({ clusterArns: [CLUSTER] }));
  });
}

let proxy: Tinyproxy;
const plain = createHttpServer(answer);
let plainUrl: string;

beforeAll(async () => {
  proxy = await startTinyproxy();
  await new Promise<void>((resolve) => plain.listen(0, '127.0.0.1', resolve));
  plainUrl = `http://127.0.0.1:${(plain.address() as AddressInfo).port}`;
});

afterAll(async () => {
  plain.closeAllConnections();
  await new Promise((resolve) => plain.close(resolve));
  await proxy.stop();
});

beforeEach(() => {
  seen = [];
  for (const name of ['http_proxy', 'https_proxy', 'all_proxy', 'no_proxy']) {
    vi.stubEnv(name, undefined);
    vi.stubEnv(name.toUpperCase(), undefined);
  }
  vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIDEXAMPLE');
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'not-a-secret');
  vi.stubEnv('AWS_REGION', 'us-east-1');
});

afterEach(() => vi.unstubAllEnvs());

async function listClusters(endpoint: string): Promise<string[] | undefined> {
  vi.stubEnv('AWS_ENDPOINT_URL_ECS', endpoint);
  const ecs = createAwsClient(ECSClient, { maxAttempts: 1 });
  try {
    return (await ecs.send(new ListClustersCommand({}))).clusterArns;
  } finally {
    ecs.destroy();
  }
}

describe('AWS calls honour HTTP_PROXY, HTTPS_PROXY and NO_PROXY', () => {
  test('with HTTP_PROXY set, the call goes through the proxy', async () => {
    vi.stubEnv('HTTP_PROXY', proxy.url);
    const before = proxy.requests().length;
    expect(await listClusters(plainUrl)).toEqual([CLUSTER]);
    expect(proxy.requests().slice(before)).toEqual([`POST ${plainUrl}/ HTTP/1.1`]);
    expect(seen).toHaveLength(1);
    expect(seen[0]!.via).toMatch(/tinyproxy/);
  });

  test('lower-case http_proxy works the same', async () => {
    vi.stubEnv('http_proxy', proxy.url);
    const before = proxy.requests().length;
    expect(await listClusters(plainUrl)).toEqual([CLUSTER]);
    expect(proxy.requests().slice(before)).toEqual([`POST ${plainUrl}/ HTTP/1.1`]);
  });

  test.each([['NO_PROXY'], ['no_proxy']])(
    'with %s naming the host, the call goes direct',
    async (variable) => {
      vi.stubEnv('HTTP_PROXY', proxy.url);
      vi.stubEnv(variable, 'localhost,127.0.0.1');
      const before = proxy.requests().length;
      expect(await listClusters(plainUrl)).toEqual([CLUSTER]);
      expect(proxy.requests().slice(before)).toEqual([]);
      expect(seen).toEqual([{ via: undefined }]);
    },
  );

  test('an https endpoint is reached through the proxy with CONNECT, end to end encrypted', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'aws-proxy-tls-'));
    const [key, cert] = [path.join(dir, 'key.pem'), path.join(dir, 'cert.pem')];
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=DNS:localhost',
        '-days',
        '1',
        '-keyout',
        key,
        '-out',
        cert,
      ],
      { stdio: 'ignore' },
    );
    const certificate = readFileSync(cert, 'utf8');
    const secure = createHttpsServer({ key: readFileSync(key, 'utf8'), cert: certificate }, answer);
    await new Promise<void>((resolve) => secure.listen(0, '127.0.0.1', resolve));
    // By name, as AWS endpoints are: the tunnel's TLS checks the certificate against it.
    const host = `localhost:${(secure.address() as AddressInfo).port}`;
    const defaults = tls.getCACertificates('default');
    tls.setDefaultCACertificates([...defaults, certificate]);
    try {
      vi.stubEnv('HTTPS_PROXY', proxy.url);
      const before = proxy.requests().length;
      expect(await listClusters(`https://${host}`)).toEqual([CLUSTER]);
      expect(proxy.requests().slice(before)).toEqual([`CONNECT ${host} HTTP/1.1`]);
      // A tunnel: the proxy never sees the request, so it adds no Via header.
      expect(seen).toEqual([{ via: undefined }]);
    } finally {
      tls.setDefaultCACertificates(defaults);
      secure.closeAllConnections();
      await new Promise((resolve) => secure.close(resolve));
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('HTTPS_PROXY alone leaves plain http endpoints direct', async () => {
    vi.stubEnv('HTTPS_PROXY', proxy.url);
    const before = proxy.requests().length;
    expect(await listClusters(plainUrl)).toEqual([CLUSTER]);
    expect(proxy.requests().slice(before)).toEqual([]);
  });
});

describe('without a proxy, the handler is the SDK’s own', () => {
  test.each([
    [{}, false],
    [{ NO_PROXY: '*' }, false],
    [{ HTTP_PROXY: 'http://proxy:3128' }, true],
    [{ https_proxy: 'http://proxy:3128' }, true],
    [{ ALL_PROXY: 'http://proxy:3128' }, true],
    [{ HTTPS_PROXY: '' }, false],
  ])('%j: proxy configured is %s', (env, expected) => {
    expect(proxyConfigured(env)).toBe(expected);
  });

  test('no proxy variable: plain handler options, no agents to load', () => {
    const config = awsClientConfig({ region: 'us-east-1' }, {});
    expect(config.requestHandler).toEqual({
      requestTimeout: 30_000,
      connectionTimeout: 5_000,
      throwOnRequestTimeout: true,
    });
  });
});
