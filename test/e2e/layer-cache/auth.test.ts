import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Registry, startRegistry } from '../../sandbox/registry.ts';
import { blobRequests, checkLayout, publish, runLayerCache, tempDir } from './helpers.ts';

let registry: Registry;

beforeAll(async () => {
  registry = await startRegistry({ auth: true });
  await publish(registry, 'private', 'v1', {
    layers: [
      { size: 300_000, seed: 'auth-1' },
      { size: 200_000, seed: 'auth-2' },
    ],
  });
});

afterAll(async () => {
  await registry?.stop();
});

beforeEach(() => {
  registry.faults.clear();
  registry.resetRequests();
});

/**
 * ECR's GetAuthorizationToken alone, in the AWS JSON 1.1 protocol, so these tests can show the
 * action recognising a registry as ECR by the token's proxyEndpoint.
 */
async function startEcrTokenService(proxyEndpoint: string, password: string) {
  const calls: Array<{ target: string; body: unknown }> = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const target = String(req.headers['x-amz-target'] ?? '');
      calls.push({ target, body: JSON.parse(Buffer.concat(chunks).toString() || '{}') });
      if (target !== 'AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken') {
        res.writeHead(400, { 'content-type': 'application/x-amz-json-1.1' });
        res.end(JSON.stringify({ __type: 'UnknownOperationException', message: target }));
        return;
      }
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
      res.end(
        JSON.stringify({
          authorizationData: [
            {
              authorizationToken: Buffer.from(`AWS:${password}`).toString('base64'),
              expiresAt: Date.now() / 1000 + 43200,
              proxyEndpoint,
            },
          ],
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    calls,
    env: {
      AWS_ENDPOINT_URL_ECR: endpoint,
      AWS_REGION: 'eu-west-1',
      AWS_ACCESS_KEY_ID: 'AKIAEXAMPLEEXAMPLE00',
      AWS_SECRET_ACCESS_KEY: 'not-a-real-secret-access-key',
      AWS_EC2_METADATA_DISABLED: 'true',
    },
    stop: () => new Promise((resolve) => server.close(resolve)),
  };
}

describe('a registry that requires credentials', () => {
  it('without credentials, fails naming the image and what to set', async () => {
    const ref = `${registry.host}/private:v1`;
    const result = await runLayerCache({ images: ref, 'cache-dir': tempDir('store') });

    expect(result.exitCode).toBe(1);
    expect(result.errors).toEqual([
      `${ref}: resolving the manifest: unauthorized: the registry requires credentials (set registry-username and registry-password, or AWS credentials for ECR)`,
    ]);
  });

  it('with registry-username and registry-password, pulls and never shows the password', async () => {
    const result = await runLayerCache({
      images: `${registry.host}/private:v1`,
      'registry-username': registry.username,
      'registry-password': registry.password,
      'cache-dir': tempDir('store'),
    });

    expect(result.errors).toEqual([]);
    expect(result.masks).toContain(registry.password);
    expect(result.stdout.replace(/^::add-mask::.*$/gm, '')).not.toContain(registry.password);
    expect(result.outputs['layers-from-registry']).toBe('2');
    checkLayout(result.outputs['oci-dir']!);
  });

  it('wrong credentials are reported as refused', async () => {
    const result = await runLayerCache({
      images: `${registry.host}/private:v1`,
      'registry-username': registry.username,
      'registry-password': 'not-the-password',
      'cache-dir': tempDir('store'),
    });

    expect(result.errors).toEqual([
      expect.stringContaining(
        'unauthorized: the registry refused registry-username/registry-password',
      ),
    ]);
  });

  it('recognises the registry as ECR when the token proxyEndpoint is its host, and pulls with it', async () => {
    const ecr = await startEcrTokenService(`http://${registry.host}`, registry.password);
    try {
      const result = await runLayerCache(
        { images: `${registry.host}/private:v1`, 'cache-dir': tempDir('store') },
        { env: ecr.env },
      );

      expect(result.errors).toEqual([]);
      expect(ecr.calls.map((c) => c.target)).toEqual([
        'AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken',
      ]);
      expect(result.masks).toContain(registry.password);
      expect(blobRequests(registry).every((r) => r.status === 200)).toBe(true);
      expect(result.outputs['cache-hit']).toBe('none');
    } finally {
      await ecr.stop();
    }
  });

  it('does not send an ECR token to a registry that is not its proxyEndpoint', async () => {
    const ecr = await startEcrTokenService(
      'https://123456789012.dkr.ecr.eu-west-1.amazonaws.com',
      registry.password,
    );
    try {
      const result = await runLayerCache(
        { images: `${registry.host}/private:v1`, 'cache-dir': tempDir('store') },
        { env: ecr.env },
      );

      expect(result.exitCode).toBe(1);
      expect(result.errors[0]).toContain('unauthorized: the registry requires credentials');
      expect(registry.requests.every((r) => r.status === 401)).toBe(true);
    } finally {
      await ecr.stop();
    }
  });
});
