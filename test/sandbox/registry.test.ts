import { createHash } from 'node:crypto';
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildImage, MANIFEST_ACCEPT, pushImage } from './images.ts';
import { type ManifestPush, type Registry, startRegistry } from './registry.ts';
import type { CallRecord } from './types.ts';

function basic(registry: Registry): string {
  return `Basic ${Buffer.from(`${registry.username}:${registry.password}`).toString('base64')}`;
}

function sha256(data: Uint8Array): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/** A raw GET that reports how many body bytes arrived and whether the connection was cut. */
function rawGet(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer; cut: boolean }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      let cut = false;
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('aborted', () => {
        cut = true;
      });
      res.on('error', () => {
        cut = true;
      });
      res.on('close', () => {
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks),
          cut: cut || !res.complete,
        });
      });
    });
    req.on('error', reject);
  });
}

describe('the sandbox registry with htpasswd auth', () => {
  let registry: Registry;
  const records: CallRecord[] = [];
  const pushes: ManifestPush[] = [];
  const image = buildImage({
    layers: [
      { size: 200_000, seed: 'base' },
      { size: 3_000, seed: 'app' },
    ],
  });
  const layer = image.layers[0] as (typeof image.layers)[number];
  let blobUrl: string;

  beforeAll(async () => {
    registry = await startRegistry({ auth: true, record: (c) => records.push(c) });
    registry.onManifestPush((p) => pushes.push(p));
    await pushImage(registry, 'team/app', 'v1', image);
    blobUrl = `http://${registry.host}/v2/team/app/blobs/${layer.digest}`;
  });

  afterAll(async () => {
    await registry.stop();
  });

  it('refuses requests without credentials and accepts AWS:<password>', async () => {
    const anonymous = await fetch(`http://${registry.host}/v2/`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toMatch(/^Basic realm=/);
    const token = Buffer.from(`AWS:${registry.password}`).toString('base64');
    const authorized = await fetch(`http://${registry.host}/v2/`, {
      headers: { authorization: `Basic ${token}` },
    });
    expect(authorized.status).toBe(200);
    const wrong = await fetch(`http://${registry.host}/v2/`, {
      headers: { authorization: `Basic ${Buffer.from('AWS:nope').toString('base64')}` },
    });
    expect(wrong.status).toBe(401);
  });

  it('serves a pushed manifest byte for byte and tells listeners about the push', async () => {
    const res = await fetch(`http://${registry.host}/v2/team/app/manifests/v1`, {
      headers: { authorization: basic(registry), accept: MANIFEST_ACCEPT },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('docker-content-digest')).toBe(image.digest);
    expect(Buffer.from(await res.arrayBuffer()).equals(image.bytes)).toBe(true);
    expect(pushes).toContainEqual({
      repository: 'team/app',
      reference: 'v1',
      digest: image.digest,
      mediaType: image.mediaType,
    });
  });

  it('counts manifest and blob requests with the bytes it sent, and records no secrets', async () => {
    registry.resetRequests();
    await fetch(`http://${registry.host}/v2/team/app/manifests/v1`, {
      method: 'HEAD',
      headers: { authorization: basic(registry), accept: MANIFEST_ACCEPT },
    });
    const blob = await fetch(blobUrl, { headers: { authorization: basic(registry) } });
    await blob.arrayBuffer();
    expect(registry.requests.map((r) => [r.method, r.kind, r.status])).toEqual([
      ['HEAD', 'manifest', 200],
      ['GET', 'blob', 200],
    ]);
    expect(registry.requests[1]?.bytes).toBe(layer.size);
    expect(
      records.some(
        (r) => r.service === 'registry' && r.operation.startsWith('GET /v2/team/app/blobs/'),
      ),
    ).toBe(true);
    expect(JSON.stringify(records)).not.toContain(registry.password);
  });

  it('serves a corrupted blob at the right length when asked to', async () => {
    registry.faults.corruptBlob(layer.digest);
    try {
      const res = await rawGet(blobUrl, { authorization: basic(registry) });
      expect(res.status).toBe(200);
      expect(res.body.length).toBe(layer.size);
      expect(sha256(res.body)).not.toBe(layer.digest);
      expect(registry.requests.at(-1)?.fault).toBe('corrupt-blob');
    } finally {
      registry.faults.clear();
    }
    const healthy = await rawGet(blobUrl, { authorization: basic(registry) });
    expect(sha256(healthy.body)).toBe(layer.digest);
  });

  it('cuts the connection after the given bytes on every GET of a truncated blob', async () => {
    registry.faults.truncateBlob(layer.digest, 1_000);
    try {
      for (let i = 0; i < 2; i++) {
        const res = await rawGet(blobUrl, { authorization: basic(registry) });
        expect(res.headers['content-length']).toBe(String(layer.size));
        expect(res.body.length).toBe(1_000);
        expect(res.cut).toBe(true);
      }
    } finally {
      registry.faults.clear();
    }
  });

  it('drops one download midway and lets a Range request resume it', async () => {
    registry.faults.dropAfter(layer.digest, 50_000);
    const unauthorized = await rawGet(blobUrl);
    expect(unauthorized.status).toBe(401);
    const first = await rawGet(blobUrl, { authorization: basic(registry) });
    expect(first.cut).toBe(true);
    expect(first.body.length).toBe(50_000);
    const rest = await rawGet(blobUrl, {
      authorization: basic(registry),
      range: `bytes=${first.body.length}-`,
    });
    expect(rest.status).toBe(206);
    expect(sha256(Buffer.concat([first.body, rest.body]))).toBe(layer.digest);
  });

  it('redirects blob GETs to storage that, like S3, rejects a forwarded Authorization header', async () => {
    registry.faults.redirectBlobs(true);
    try {
      const denied = await rawGet(blobUrl);
      expect(denied.status).toBe(401);
      const redirect = await rawGet(blobUrl, { authorization: basic(registry) });
      expect(redirect.status).toBe(307);
      const location = String(redirect.headers.location);
      expect(location).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/.*X-Amz-Signature=/);
      const withAuth = await rawGet(location, { authorization: basic(registry) });
      expect(withAuth.status).toBe(400);
      expect(withAuth.body.toString()).toContain('Only one auth mechanism allowed');
      const followed = await rawGet(location);
      expect(followed.status).toBe(200);
      expect(sha256(followed.body)).toBe(layer.digest);
      // fetch follows redirects and drops Authorization on the cross-origin hop, as clients must.
      const viaFetch = await fetch(blobUrl, { headers: { authorization: basic(registry) } });
      expect(sha256(new Uint8Array(await viaFetch.arrayBuffer()))).toBe(layer.digest);
    } finally {
      registry.faults.clear();
    }
  });

  it('applies blob faults on the storage endpoint too', async () => {
    registry.faults.redirectBlobs(true);
    registry.faults.corruptBlob(layer.digest);
    try {
      const res = await fetch(blobUrl, { headers: { authorization: basic(registry) } });
      const body = new Uint8Array(await res.arrayBuffer());
      expect(body.length).toBe(layer.size);
      expect(sha256(body)).not.toBe(layer.digest);
      expect(registry.requests.at(-1)).toMatchObject({ via: 'storage', fault: 'corrupt-blob' });
    } finally {
      registry.faults.clear();
    }
  });
});

describe('the sandbox registry as a link to a client', () => {
  it('reads a blob from the registry only as fast as the client takes it', async () => {
    const registry = await startRegistry();
    try {
      const image = buildImage({ layers: [{ size: 40_000_000, seed: 'slow-reader' }] });
      const layer = image.layers[0] as (typeof image.layers)[number];
      await pushImage(registry, 'team/big', 'v1', image);
      const url = `http://${registry.host}/v2/team/big/blobs/${layer.digest}`;
      registry.resetRequests();
      // A client that takes the headers and then stops reading, like one on a slow link.
      const stalled = await new Promise<http.ClientRequest>((resolve, reject) => {
        const req = http.get(url, { agent: false }, (res) => {
          res.pause();
          resolve(req);
        });
        req.on('error', reject);
      });
      await new Promise((r) => setTimeout(r, 1_000));
      // Still in flight: the proxy has not read the 40 MB ahead of its client and logged them as
      // sent while the client has taken none of them.
      const logged = registry.requests.filter((r) => r.kind === 'blob');
      stalled.destroy();
      expect(logged).toEqual([]);
      const whole = await rawGet(url);
      expect(sha256(whole.body)).toBe(layer.digest);
      expect(registry.requests.at(-1)?.bytes).toBe(layer.size);
    } finally {
      await registry.stop();
    }
  });
});

describe('registry lifecycle', () => {
  it('runs side by side with another registry and leaves nothing listening after stop', async () => {
    const [a, b] = await Promise.all([startRegistry(), startRegistry()]);
    expect(a.host).not.toBe(b.host);
    expect(a.upstream).not.toBe(b.upstream);
    const open = await fetch(`http://${a.host}/v2/`);
    expect(open.status).toBe(200);
    await Promise.all([a.stop(), b.stop()]);
    await a.stop();
    await expect(fetch(`http://${a.upstream}/v2/`)).rejects.toThrow();
    await expect(fetch(`http://${b.host}/v2/`)).rejects.toThrow();
  });

  it('says how to install docker-registry when it is missing', async () => {
    await expect(startRegistry({ binary: '/nonexistent/docker-registry' })).rejects.toThrow(
      'apt-get install -y docker-registry',
    );
  });
});
