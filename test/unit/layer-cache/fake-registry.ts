// A small in-process registry for unit tests: serves manifests and blobs from memory on
// 127.0.0.1, logs every request, and misbehaves on demand (dropped connections, ignored Range,
// redirects to a storage origin that refuses Authorization, Basic or Bearer auth).
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent } from 'undici';
import { HttpClient } from '../../../src/actions/layer-cache/http.ts';

export interface LoggedRequest {
  method: string;
  path: string;
  status: number;
  range?: string;
  authorization?: string;
  origin: 'registry' | 'storage' | 'token';
}

export interface FakeRegistryOptions {
  /** `basic`: Basic challenge; `bearer`: token flow at /token. */
  auth?: 'basic' | 'bearer';
  username?: string;
  password?: string;
}

export function digestOf(bytes: Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

export interface FakeImage {
  manifest: Buffer;
  digest: string;
  config: Buffer;
  layers: Buffer[];
}

/** A single-platform OCI image of random layers. */
export function makeImage(layerSizes: number[], seed = randomBytes(4).toString('hex')): FakeImage {
  const layers = layerSizes.map((size, i) => {
    const bytes = Buffer.alloc(size);
    let state = createHash('sha256').update(`${seed}-${i}`).digest();
    for (let at = 0; at < size; at += state.length) {
      state.copy(bytes, at);
      state = createHash('sha256').update(state).digest();
    }
    return bytes;
  });
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', seed }));
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: {
        mediaType: 'application/vnd.oci.image.config.v1+json',
        digest: digestOf(config),
        size: config.length,
      },
      layers: layers.map((l) => ({
        mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
        digest: digestOf(l),
        size: l.length,
      })),
    }),
  );
  return { manifest, digest: digestOf(manifest), config, layers };
}

/** An index over images keyed by `os/arch[/variant]`, plus an attestation entry. */
export function makeIndex(platforms: Record<string, FakeImage>): Buffer {
  const manifests: object[] = Object.entries(platforms).map(([platform, image]) => {
    const [os, architecture, variant] = platform.split('/');
    return {
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      digest: image.digest,
      size: image.manifest.length,
      platform: { os, architecture, ...(variant ? { variant } : {}) },
    };
  });
  const first = Object.values(platforms)[0]!;
  manifests.push({
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    digest: first.digest,
    size: first.manifest.length,
    platform: { os: 'unknown', architecture: 'unknown' },
    annotations: { 'vnd.docker.reference.type': 'attestation-manifest' },
  });
  return Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests,
    }),
  );
}

export class FakeRegistry {
  host = '';
  readonly requests: LoggedRequest[] = [];
  readonly manifests = new Map<string, { bytes: Buffer; mediaType: string }>();
  readonly blobs = new Map<string, Buffer>();
  /** Digest → bytes after which the next GET of that blob drops its connection. */
  readonly dropAfter = new Map<string, number>();
  /** Connections cut by `dropAfter` so far. */
  cuts = 0;
  /** Digest → bytes after which the next GET of that blob sends nothing more, never ending. */
  readonly stallAfter = new Map<string, number>();
  /** Digest → content served instead of the real blob. */
  readonly corrupt = new Map<string, Buffer>();
  ignoreRange = false;
  redirectBlobs = false;
  /** Answer HEAD without Docker-Content-Digest. */
  hideDigest = false;
  private readonly options: FakeRegistryOptions;
  private readonly tokens = new Set<string>();
  private registry = http.createServer((req, res) => this.serve(req, res));
  private storage = http.createServer((req, res) => this.serveStorage(req, res));
  private storageHost = '';

  constructor(options: FakeRegistryOptions = {}) {
    this.options = options;
  }

  async start(): Promise<this> {
    this.host = await listen(this.registry);
    this.storageHost = await listen(this.storage);
    return this;
  }

  async stop(): Promise<void> {
    for (const server of [this.registry, this.storage]) {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  }

  /** Pushes an image under `repo:tag`; an index's child images are pushed by digest. */
  push(repo: string, tag: string, image: FakeImage): void {
    this.manifests.set(`${repo}:${tag}`, {
      bytes: image.manifest,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
    });
    this.pushByDigest(repo, image);
  }

  pushByDigest(repo: string, image: FakeImage): void {
    this.manifests.set(`${repo}:${image.digest}`, {
      bytes: image.manifest,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
    });
    this.blobs.set(digestOf(image.config), image.config);
    for (const layer of image.layers) this.blobs.set(digestOf(layer), layer);
  }

  pushIndex(repo: string, tag: string, index: Buffer, images: FakeImage[]): void {
    const entry = { bytes: index, mediaType: 'application/vnd.oci.image.index.v1+json' };
    this.manifests.set(`${repo}:${tag}`, entry);
    this.manifests.set(`${repo}:${digestOf(index)}`, entry);
    for (const image of images) this.pushByDigest(repo, image);
  }

  blobGets(): LoggedRequest[] {
    return this.requests.filter((r) => r.method === 'GET' && r.path.includes('/blobs/'));
  }

  private authorized(req: http.IncomingMessage): boolean {
    const header = req.headers.authorization ?? '';
    if (this.options.auth === 'basic') {
      const expected = `Basic ${Buffer.from(`${this.options.username}:${this.options.password}`).toString('base64')}`;
      return header === expected;
    }
    if (this.options.auth === 'bearer') return this.tokens.has(header.replace(/^Bearer /, ''));
    return true;
  }

  private serve(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', `http://${this.host}`);
    const entry: LoggedRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      status: 0,
      origin: 'registry',
    };
    if (req.headers.range) entry.range = String(req.headers.range);
    if (req.headers.authorization) entry.authorization = String(req.headers.authorization);
    this.requests.push(entry);
    const reply = (status: number, headers: http.OutgoingHttpHeaders = {}, body?: Buffer) => {
      entry.status = status;
      res.writeHead(status, headers);
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    if (url.pathname === '/token') {
      entry.origin = 'token';
      const basic = `Basic ${Buffer.from(`${this.options.username}:${this.options.password}`).toString('base64')}`;
      if (this.options.username && req.headers.authorization !== basic) {
        reply(401);
        return;
      }
      const token = randomBytes(8).toString('hex');
      this.tokens.add(token);
      reply(200, { 'content-type': 'application/json' }, Buffer.from(JSON.stringify({ token })));
      return;
    }
    if (!this.authorized(req)) {
      const challenge =
        this.options.auth === 'basic'
          ? 'Basic realm="fake"'
          : `Bearer realm="http://${this.host}/token",service="fake"`;
      reply(401, { 'www-authenticate': challenge });
      return;
    }
    const m = /^\/v2\/(.+)\/(manifests|blobs)\/([^/]+)$/.exec(url.pathname);
    if (!m) {
      reply(404);
      return;
    }
    const [, repo, kind, ref] = m as unknown as [string, string, string, string];
    if (kind === 'manifests') {
      const manifest = this.manifests.get(`${repo}:${ref}`);
      if (!manifest) {
        reply(404);
        return;
      }
      const headers: http.OutgoingHttpHeaders = {
        'content-type': manifest.mediaType,
        'content-length': manifest.bytes.length,
      };
      if (!this.hideDigest) headers['docker-content-digest'] = digestOf(manifest.bytes);
      reply(200, headers, manifest.bytes);
      return;
    }
    if (!this.blobs.has(ref)) {
      reply(404);
      return;
    }
    if (this.redirectBlobs && req.method === 'GET') {
      reply(307, {
        location: `http://${this.storageHost}/store/${ref}?X-Amz-Signature=abc`,
      });
      return;
    }
    this.sendBlob(req, res, entry, ref);
  }

  private serveStorage(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', `http://${this.storageHost}`);
    const entry: LoggedRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      status: 0,
      origin: 'storage',
    };
    if (req.headers.range) entry.range = String(req.headers.range);
    if (req.headers.authorization) entry.authorization = String(req.headers.authorization);
    this.requests.push(entry);
    if (req.headers.authorization) {
      entry.status = 400;
      res.writeHead(400).end('Only one auth mechanism allowed');
      return;
    }
    this.sendBlob(req, res, entry, url.pathname.replace('/store/', ''));
  }

  private sendBlob(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    entry: LoggedRequest,
    digest: string,
  ): void {
    const blob = this.corrupt.get(digest) ?? this.blobs.get(digest)!;
    const range = /^bytes=(\d+)-$/.exec(String(req.headers.range ?? ''));
    let start = 0;
    if (range && !this.ignoreRange) {
      start = Number(range[1]);
      entry.status = 206;
      res.writeHead(206, {
        'content-length': blob.length - start,
        'content-range': `bytes ${start}-${blob.length - 1}/${blob.length}`,
      });
    } else {
      entry.status = 200;
      res.writeHead(200, { 'content-length': blob.length });
    }
    const body = blob.subarray(start);
    const stall = this.stallAfter.get(digest);
    if (stall !== undefined && stall < body.length) {
      this.stallAfter.delete(digest);
      res.write(body.subarray(0, stall));
      return;
    }
    const drop = this.dropAfter.get(digest);
    if (drop !== undefined && drop < body.length) {
      this.dropAfter.delete(digest);
      res.write(body.subarray(0, drop), () => {
        res.socket?.destroy();
        this.cuts++;
      });
      return;
    }
    res.end(body);
  }
}

async function listen(server: http.Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/**
 * The registry client's transport without the proxy settings of whoever runs the tests: a plain
 * undici agent, connections pooled per origin as in the action.
 */
export function directHttp(idleTimeoutMs = 5000): HttpClient {
  return new HttpClient({ idleTimeoutMs, dispatcher: new Agent() });
}
