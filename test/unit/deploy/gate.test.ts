import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { probeTestTraffic } from '../../../src/actions/deploy/gate.ts';

let server: Server;
let base: string;
let hits = 0;

beforeAll(async () => {
  server = createServer((req, res) => {
    hits += 1;
    if (req.url === '/ok') res.writeHead(200).end('ok');
    else if (req.url === '/flaky') res.writeHead(hits % 3 === 0 ? 500 : 200).end();
    else if (req.url === '/slow') setTimeout(() => res.writeHead(200).end(), 500);
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const gate = (pathname: string, extra = {}) => ({
  url: `${base}${pathname}`,
  expectStatus: [200],
  requests: 6,
  timeoutMs: 2000,
  ...extra,
});

describe('probing the test listener', () => {
  test('passes when every probe answers an expected status', async () => {
    const result = await probeTestTraffic(gate('/ok'));
    expect(result.passed).toBe(true);
    expect(result.probes).toHaveLength(6);
    expect(result.summary).toBe(`6/6 probes of ${base}/ok answered 200`);
  });

  test('one bad answer in several fails the gate, and the summary counts what came back', async () => {
    hits = 0;
    const result = await probeTestTraffic(gate('/flaky'));
    expect(result.passed).toBe(false);
    expect(result.summary).toBe(`4/6 probes of ${base}/flaky answered 200 (2× HTTP 500)`);
  });

  test('a probe that does not answer in time counts as failed', async () => {
    const result = await probeTestTraffic(gate('/slow', { requests: 1, timeoutMs: 50 }));
    expect(result.passed).toBe(false);
    expect(result.summary).toContain('1× no answer within 50ms');
  });

  test('a refused connection counts as failed', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const result = await probeTestTraffic({
      url: `http://127.0.0.1:${port}/`,
      expectStatus: [200],
      requests: 1,
      timeoutMs: 1000,
    });
    expect(result.passed).toBe(false);
    expect(result.summary).toMatch(/0\/1 probes .* \(1× ECONNREFUSED\)/);
  });

  test('other expected statuses can be allowed', async () => {
    const result = await probeTestTraffic(
      gate('/missing', { expectStatus: [200, 404], requests: 2 }),
    );
    expect(result.passed).toBe(true);
  });
});
