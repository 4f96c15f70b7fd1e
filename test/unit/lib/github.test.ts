import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { createOctokit, currentRepo } from '../../../src/lib/github.ts';

afterEach(() => {
  vi.unstubAllEnvs();
});

async function serve(handler: Parameters<typeof createServer>[1]) {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  vi.stubEnv('GITHUB_API_URL', `http://127.0.0.1:${port}`);
  return server;
}

describe('the GitHub client', () => {
  test('no token says which input to set', () => {
    expect(() => createOctokit('')).toThrow(/^github-token: is required/);
  });
  test('waits out a secondary rate limit and then succeeds, creating the issue once', async () => {
    let attempts = 0;
    const server = await serve((_req, res) => {
      attempts++;
      res.setHeader('content-type', 'application/json');
      if (attempts === 1) {
        res.writeHead(403, { 'retry-after': '1' });
        res.end(JSON.stringify({ message: 'You have exceeded a secondary rate limit.' }));
        return;
      }
      res.writeHead(201);
      res.end(JSON.stringify({ number: 7, title: 'x' }));
    });
    const waits: string[] = [];
    try {
      const octokit = createOctokit('t0ken', { log: (m) => waits.push(m) });
      const { data } = await octokit.rest.issues.create({ owner: 'acme', repo: 'web', title: 'x' });
      expect(data.number).toBe(7);
      expect(attempts).toBe(2);
      expect(waits[0]).toMatch(/secondary rate limit on POST .*: retrying in 1s/);
    } finally {
      server.close();
    }
  });
  test('gives up when the limit asks for a longer wait than allowed', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(429, { 'retry-after': '3600', 'content-type': 'application/json' });
      res.end(JSON.stringify({ message: 'Too many requests' }));
    });
    try {
      const octokit = createOctokit('t0ken', { maxRetryAfterSeconds: 5 });
      await expect(
        octokit.rest.issues.get({ owner: 'a', repo: 'b', issue_number: 1 }),
      ).rejects.toMatchObject({
        status: 429,
      });
    } finally {
      server.close();
    }
  });
  test('the repository comes from GITHUB_REPOSITORY', () => {
    expect(currentRepo({ GITHUB_REPOSITORY: 'acme/web' })).toEqual({ owner: 'acme', repo: 'web' });
    expect(() => currentRepo({})).toThrow("GITHUB_REPOSITORY: expected owner/name, got ''");
  });
});
