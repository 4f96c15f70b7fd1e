import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UnauthorizedError } from '../../../src/actions/layer-cache/auth.ts';
import type { HttpClient } from '../../../src/actions/layer-cache/http.ts';
import {
  DigestMismatchError,
  RegistryClient,
  type RegistryClientOptions,
  registryBaseUrl,
} from '../../../src/actions/layer-cache/registry-client.ts';
import { digestOf, directHttp, FakeRegistry, makeImage } from './fake-registry.ts';

let dir: string;
let registry: FakeRegistry;
let http: HttpClient;

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'layer-cache-client-'));
  http = directHttp();
});

afterEach(async () => {
  await http.close();
  await registry?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function client(overrides: Partial<RegistryClientOptions['auth']> = {}, host = registry.host) {
  const masked: string[] = [];
  const c = new RegistryClient({
    host,
    http,
    auth: { mask: (s) => masked.push(s), ...overrides },
    sleep: async () => {},
  });
  return { client: c, masked };
}

describe('downloading a blob', () => {
  it('resumes with Range after the connection breaks, and the file is the whole blob', async () => {
    registry = await new FakeRegistry().start();
    const image = makeImage([300_000]);
    registry.push('app', 'v1', image);
    const layer = image.layers[0]!;
    registry.dropAfter.set(digestOf(layer), 100_000);
    const dest = path.join(dir, 'blob');

    const result = await client().client.downloadBlob('app', digestOf(layer), layer.length, dest);

    expect(readFileSync(dest).equals(layer)).toBe(true);
    expect(result.resumes).toBe(1);
    const gets = registry.blobGets();
    expect(gets.map((g) => g.range)).toEqual([undefined, 'bytes=100000-']);
    expect(result.transferred).toBe(layer.length);
  });

  it('starts over when the registry ignores Range, without duplicating bytes', async () => {
    registry = await new FakeRegistry().start();
    const image = makeImage([200_000]);
    registry.push('app', 'v1', image);
    const layer = image.layers[0]!;
    registry.dropAfter.set(digestOf(layer), 50_000);
    registry.ignoreRange = true;
    const dest = path.join(dir, 'blob');

    await client().client.downloadBlob('app', digestOf(layer), layer.length, dest);

    expect(readFileSync(dest).equals(layer)).toBe(true);
  });

  it('rejects content that does not hash to the digest', async () => {
    registry = await new FakeRegistry().start();
    const image = makeImage([10_000]);
    registry.push('app', 'v1', image);
    const layer = image.layers[0]!;
    const bad = Buffer.from(layer);
    bad[5] = bad[5]! ^ 0xff;
    registry.corrupt.set(digestOf(layer), bad);

    await expect(
      client().client.downloadBlob('app', digestOf(layer), layer.length, path.join(dir, 'b')),
    ).rejects.toThrow(DigestMismatchError);
  });

  it('follows a redirect to storage without sending the registry credentials there', async () => {
    registry = await new FakeRegistry({ auth: 'basic', username: 'AWS', password: 'pw' }).start();
    const image = makeImage([50_000]);
    registry.push('app', 'v1', image);
    registry.redirectBlobs = true;
    const layer = image.layers[0]!;
    const dest = path.join(dir, 'blob');

    await client({ credentials: { username: 'AWS', password: 'pw' } }).client.downloadBlob(
      'app',
      digestOf(layer),
      layer.length,
      dest,
    );

    expect(readFileSync(dest).equals(layer)).toBe(true);
    const storage = registry.requests.filter((r) => r.origin === 'storage');
    expect(storage).toHaveLength(1);
    expect(storage[0]!.authorization).toBeUndefined();
    expect(registry.blobGets().find((r) => r.origin === 'registry')?.authorization).toMatch(
      /^Basic /,
    );
  });

  it('resumes a redirected download with Range at the storage endpoint', async () => {
    registry = await new FakeRegistry().start();
    const image = makeImage([120_000]);
    registry.push('app', 'v1', image);
    registry.redirectBlobs = true;
    const layer = image.layers[0]!;
    registry.dropAfter.set(digestOf(layer), 40_000);
    const dest = path.join(dir, 'blob');

    await client().client.downloadBlob('app', digestOf(layer), layer.length, dest);

    expect(readFileSync(dest).equals(layer)).toBe(true);
    const storage = registry.requests.filter((r) => r.origin === 'storage');
    expect(storage.map((r) => r.range)).toEqual([undefined, 'bytes=40000-']);
  });
});

describe('manifests', () => {
  it('HEAD gives the digest a tag points at, with no body', async () => {
    registry = await new FakeRegistry().start();
    const image = makeImage([10]);
    registry.push('app', 'v1', image);

    expect(await client().client.headManifest('app', 'v1')).toBe(image.digest);
    expect(registry.requests.map((r) => r.method)).toEqual(['HEAD']);
  });

  it('a manifest whose bytes do not match the digest asked for is refused', async () => {
    registry = await new FakeRegistry().start();
    const image = makeImage([10]);
    const other = makeImage([20]);
    registry.manifests.set(`app:${image.digest}`, {
      bytes: other.manifest,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
    });
    registry.hideDigest = true;

    await expect(client().client.getManifest('app', image.digest)).rejects.toThrow(
      /hashes to sha256:.*not sha256:/,
    );
  });

  it('a missing tag is reported as not found', async () => {
    registry = await new FakeRegistry().start();
    await expect(client().client.getManifest('app', 'nope')).rejects.toThrow(
      'manifest not found (HTTP 404)',
    );
  });
});

describe('authentication', () => {
  it('follows the Bearer challenge: token from the realm with the given credentials, then retries', async () => {
    registry = await new FakeRegistry({
      auth: 'bearer',
      username: 'ci',
      password: 'secret',
    }).start();
    const image = makeImage([10]);
    registry.push('team/app', 'v1', image);
    const { client: c, masked } = client({ credentials: { username: 'ci', password: 'secret' } });

    const got = await c.getManifest('team/app', 'v1');

    expect(got.digest).toBe(image.digest);
    const token = registry.requests.find((r) => r.origin === 'token');
    expect(token?.authorization).toMatch(/^Basic /);
    const final = registry.requests.at(-1)!;
    expect(final.authorization).toMatch(/^Bearer /);
    expect(masked).toContain('secret');
    expect(masked).toContain(final.authorization!.slice('Bearer '.length));
  });

  it('asks ECR for credentials after a Basic challenge when none were given', async () => {
    registry = await new FakeRegistry({
      auth: 'basic',
      username: 'AWS',
      password: 'ecr-pass',
    }).start();
    const image = makeImage([10]);
    registry.push('app', 'v1', image);
    const asked: string[] = [];
    const { client: c, masked } = client({
      ecr: async (host) => {
        asked.push(host);
        return { username: 'AWS', password: 'ecr-pass' };
      },
    });

    await c.getManifest('app', 'v1');

    expect(asked).toEqual([registry.host]);
    expect(masked).toContain('ecr-pass');
    expect(c.auth.source).toBe('ecr');
  });

  it('says credentials are needed when a registry challenges and nothing can answer', async () => {
    registry = await new FakeRegistry({ auth: 'basic', username: 'u', password: 'p' }).start();
    registry.push('app', 'v1', makeImage([10]));
    const { client: c } = client({ ecr: async () => undefined });

    const failure = c.getManifest('app', 'v1');

    await expect(failure).rejects.toThrow(UnauthorizedError);
    await expect(failure).rejects.toThrow(/requires credentials.*registry-username/);
  });

  it('says the given credentials were refused when they are wrong', async () => {
    registry = await new FakeRegistry({ auth: 'basic', username: 'u', password: 'p' }).start();
    registry.push('app', 'v1', makeImage([10]));
    const { client: c } = client({ credentials: { username: 'u', password: 'wrong' } });

    await expect(c.getManifest('app', 'v1')).rejects.toThrow(
      'unauthorized: the registry refused registry-username/registry-password',
    );
  });
});

describe('transport', () => {
  it.each([
    ['127.0.0.1:5000', 'http://127.0.0.1:5000'],
    ['localhost:5000', 'http://localhost:5000'],
    ['registry.example.com:5000', 'https://registry.example.com:5000'],
    [
      '123456789012.dkr.ecr.eu-west-1.amazonaws.com',
      'https://123456789012.dkr.ecr.eu-west-1.amazonaws.com',
    ],
    ['docker.io', 'https://registry-1.docker.io'],
    ['10.0.0.5:5000', 'https://10.0.0.5:5000'],
  ])('talks to %s at %s (plain http only on this machine)', (host, origin) => {
    expect(registryBaseUrl(host).origin).toBe(origin);
  });
});
