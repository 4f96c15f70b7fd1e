// A real OCI registry for the sandbox: Debian's `docker-registry` (distribution v2.8) as a child
// process, behind a small proxy of ours that counts requests and injects blob faults. Clients
// talk to the proxy; the sandbox's ECR simulator reads the registry directly (`upstream`).

import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { CallRecord, Clock } from './types.ts';

const REGISTRY_BINARY = '/usr/bin/docker-registry';
/** ECR's Basic-auth user name is always `AWS`; the sandbox's registry uses the same. */
export const REGISTRY_USER = 'AWS';

export type RegistryRequestKind = 'manifest' | 'blob' | 'other';

export interface RegistryRequest {
  method: string;
  path: string;
  status: number;
  /** Response body bytes actually written to the client. */
  bytes: number;
  kind: RegistryRequestKind;
  /** `storage` for requests served by the S3-like endpoint that blob redirects point at. */
  via: 'registry' | 'storage';
  fault?: string;
}

/** A manifest accepted by the registry through the proxy (`PUT /v2/<repo>/manifests/<ref>`). */
export interface ManifestPush {
  repository: string;
  reference: string;
  digest: string;
  mediaType: string;
}

export interface RegistryFaults {
  /** Every GET of this blob returns the right length with one byte flipped. */
  corruptBlob(digest: string): void;
  /** Every GET of this blob sends `afterBytes` bytes of the body, then drops the connection. */
  truncateBlob(digest: string, afterBytes: number): void;
  /** The next GET of this blob drops the connection after `bytes`; later GETs (Range) succeed. */
  dropAfter(digest: string, bytes: number): void;
  /** Blob GETs answer 307 to a storage endpoint that, like S3, rejects `Authorization`. */
  redirectBlobs(on: boolean): void;
  clear(): void;
}

export interface Registry {
  /** `127.0.0.1:PORT` of the proxy: what clients use. */
  host: string;
  /** `127.0.0.1:PORT` of the registry itself, bypassing counters and faults. */
  upstream: string;
  username: string;
  password: string;
  /** Whether the registry demands Basic credentials. */
  auth: boolean;
  requests: RegistryRequest[];
  faults: RegistryFaults;
  resetRequests(): void;
  /** Called for each manifest pushed through the proxy; returns an unsubscribe function. */
  onManifestPush(listener: (push: ManifestPush) => void): () => void;
  stop(): Promise<void>;
}

export interface StartRegistryOptions {
  auth?: boolean;
  record?: (c: CallRecord) => void;
  /** Parent for the registry's temp directory (storage, config, htpasswd). */
  dir?: string;
  /** Gives recorded calls simulated times; real time otherwise. */
  clock?: Clock;
  /** The registry executable; tests point it elsewhere to check the missing-binary message. */
  binary?: string;
}

const running = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const child of running) child.kill('SIGKILL');
  });
}

async function listen(server: http.Server): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  return (server.address() as AddressInfo).port;
}

async function freePort(): Promise<number> {
  const probe = http.createServer();
  const port = await listen(probe);
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

function registryConfig(root: string, port: number, htpasswdPath: string | undefined): string {
  const lines = [
    'version: 0.1',
    'log:',
    '  level: error',
    '  accesslog:',
    '    disabled: true',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${JSON.stringify(path.join(root, 'data'))}`,
    '  delete:',
    '    enabled: true',
    '  maintenance:',
    '    uploadpurging:',
    '      enabled: false',
    'http:',
    `  addr: 127.0.0.1:${port}`,
    `  secret: ${randomBytes(16).toString('hex')}`,
    'health:',
    '  storagedriver:',
    '    enabled: false',
  ];
  if (htpasswdPath) {
    lines.push('auth:', '  htpasswd:', '    realm: sandbox-registry');
    lines.push(`    path: ${JSON.stringify(htpasswdPath)}`);
  }
  return `${lines.join('\n')}\n`;
}

async function waitUntilServing(
  upstream: string,
  child: ChildProcess,
  stderr: () => string,
): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`docker-registry exited during startup: ${stderr().trim()}`);
    }
    try {
      const res = await fetch(`http://${upstream}/v2/`);
      await res.arrayBuffer();
      if (res.status === 200 || res.status === 401) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`docker-registry did not answer /v2/ within 15 s: ${stderr().trim()}`);
}

function classify(urlPath: string): { kind: RegistryRequestKind; repo?: string; ref?: string } {
  const m = /^\/v2\/(.+)\/(manifests|blobs)\/([^/]+)$/.exec(urlPath);
  if (!m || m[3] === 'uploads') return { kind: 'other' };
  return {
    kind: m[2] === 'manifests' ? 'manifest' : 'blob',
    repo: m[1] as string,
    ref: decodeURIComponent(m[3] as string),
  };
}

type BlobFault =
  | { type: 'corrupt' }
  | { type: 'truncate'; afterBytes: number }
  | { type: 'drop'; afterBytes: number };

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade']);

function forwardableHeaders(headers: http.IncomingHttpHeaders): http.OutgoingHttpHeaders {
  const out: http.OutgoingHttpHeaders = {};
  for (const [k, v] of Object.entries(headers)) {
    if (v !== undefined && !HOP_BY_HOP.has(k)) out[k] = v;
  }
  return out;
}

/**
 * Starts a registry on 127.0.0.1 behind a counting, fault-injecting proxy. The registry's
 * credentials are `AWS` and a random password, so an ECR-style token `base64("AWS:<password>")`
 * unlocks it when `auth` is on.
 */
export async function startRegistry(opts: StartRegistryOptions = {}): Promise<Registry> {
  const binary = opts.binary ?? REGISTRY_BINARY;
  if (!existsSync(binary)) {
    throw new Error(`${binary} not found: install it with \`apt-get install -y docker-registry\``);
  }
  const auth = opts.auth ?? false;
  const password = randomBytes(18).toString('base64url');
  const root = await mkdtemp(path.join(opts.dir ?? tmpdir(), 'sandbox-registry-'));
  await mkdir(path.join(root, 'data'));
  let htpasswdPath: string | undefined;
  if (auth) {
    htpasswdPath = path.join(root, 'htpasswd');
    // Cost 4 is bcrypt's minimum: the registry checks it on every request.
    const { stdout } = await promisify(execFile)('htpasswd', [
      '-Bbn',
      '-C',
      '4',
      REGISTRY_USER,
      password,
    ]);
    await writeFile(htpasswdPath, stdout);
  }

  let child: ChildProcess | undefined;
  let upstream = '';
  let stderrTail = '';
  // A free port can be taken between probing and binding; a second try nearly always wins.
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    upstream = `127.0.0.1:${port}`;
    const configPath = path.join(root, 'config.yml');
    await writeFile(configPath, registryConfig(root, port, htpasswdPath));
    stderrTail = '';
    // The shell watches its stdin: when this Node process dies, however it dies, the pipe
    // closes, `cat` returns and the registry is killed, so no registry outlives its test.
    child = spawn(
      'sh',
      [
        '-c',
        '"$0" serve "$1" & p=$!; cat >/dev/null; kill $p 2>/dev/null; wait $p',
        binary,
        configPath,
      ],
      { stdio: ['pipe', 'ignore', 'pipe'], detached: true },
    );
    installExitHook();
    running.add(child);
    const spawned = child;
    child.once('exit', () => running.delete(spawned));
    child.stderr?.on('data', (d: Buffer) => {
      stderrTail = (stderrTail + d.toString()).slice(-4000);
    });
    try {
      await waitUntilServing(upstream, child, () => stderrTail);
      break;
    } catch (err) {
      await stopChild(child);
      child = undefined;
      if (attempt === 2 || !/address already in use/.test(stderrTail)) {
        await rm(root, { recursive: true, force: true });
        throw err;
      }
    }
  }
  const registryProcess = child as ChildProcess;
  registryProcess.unref();
  (registryProcess.stdin as unknown as { unref?: () => void } | null)?.unref?.();
  (registryProcess.stderr as unknown as { unref?: () => void } | null)?.unref?.();

  const basic = `Basic ${Buffer.from(`${REGISTRY_USER}:${password}`).toString('base64')}`;
  const agent = new http.Agent({ keepAlive: true });
  const requests: RegistryRequest[] = [];
  const blobFaults = new Map<string, BlobFault>();
  const pushListeners = new Set<(push: ManifestPush) => void>();
  let redirect = false;

  function note(entry: RegistryRequest): void {
    requests.push(entry);
    if (opts.record) {
      const realTime = Date.now();
      const record: CallRecord = {
        service: 'registry',
        operation: `${entry.method} ${entry.path}`,
        time: opts.clock ? opts.clock.now() : realTime,
        realTime,
        params: { kind: entry.kind, bytes: entry.bytes, via: entry.via },
        status: entry.status,
      };
      if (entry.fault) record.fault = entry.fault;
      opts.record(record);
    }
  }

  /** Relays an upstream response, applying a blob fault if one is armed for it. */
  function relay(
    upstreamRes: http.IncomingMessage,
    res: http.ServerResponse,
    entry: RegistryRequest,
    fault: BlobFault | undefined,
  ): void {
    const status = upstreamRes.statusCode ?? 502;
    entry.status = status;
    const active = fault && (status === 200 || status === 206) ? fault : undefined;
    // A one-shot drop is spent only when it actually cuts a body, not on a 401 or 404.
    if (active?.type === 'drop') {
      for (const [digest, armed] of blobFaults) if (armed === active) blobFaults.delete(digest);
    }
    if (active) entry.fault = active.type === 'corrupt' ? 'corrupt-blob' : `${active.type}-blob`;
    res.writeHead(status, forwardableHeaders(upstreamRes.headers));
    let noted = false;
    const done = () => {
      if (noted) return;
      noted = true;
      note(entry);
    };
    let first = true;
    let limit = active && active.type !== 'corrupt' ? active.afterBytes : Number.POSITIVE_INFINITY;
    upstreamRes.on('data', (chunk: Buffer) => {
      let out = chunk;
      if (active?.type === 'corrupt' && first && out.length > 0) {
        out = Buffer.from(out);
        out[0] = (out[0] as number) ^ 0xff;
      }
      first = false;
      if (out.length >= limit) {
        const head = out.subarray(0, limit);
        entry.bytes += head.length;
        limit = 0;
        upstreamRes.destroy();
        // Flush what the fault allows, then cut the socket so the client sees a short body.
        res.write(head, () => res.socket?.destroy());
        done();
        return;
      }
      limit -= out.length;
      entry.bytes += out.length;
      // Read from the registry no faster than the client takes it, as a network link would:
      // without this the whole blob piles up in this process's memory at once.
      if (!res.write(out)) {
        upstreamRes.pause();
        res.once('drain', () => upstreamRes.resume());
      }
    });
    upstreamRes.on('end', () => {
      if (limit === 0 && active && active.type !== 'corrupt') return;
      res.end();
      done();
    });
    upstreamRes.on('error', () => res.destroy());
    // A client that hung up mid-body leaves no upstream response paused behind it, and is logged
    // with the bytes relayed to it.
    res.on('close', () => {
      if (upstreamRes.complete) return;
      upstreamRes.destroy();
      done();
    });
  }

  const storage = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://storage');
    const m = /^\/(.+)\/blobs\/([^/]+)$/.exec(url.pathname);
    const entry: RegistryRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      status: 0,
      bytes: 0,
      kind: 'blob',
      via: 'storage',
    };
    if (req.headers.authorization) {
      // S3's answer when a presigned URL is also sent an Authorization header.
      const body =
        '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>InvalidArgument</Code>' +
        '<Message>Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, ' +
        'Signature query string parameter or the Authorization header should be specified' +
        '</Message></Error>';
      entry.status = 400;
      entry.bytes = Buffer.byteLength(body);
      res.writeHead(400, { 'content-type': 'application/xml' }).end(body);
      note(entry);
      return;
    }
    if (!m || !url.searchParams.has('X-Amz-Signature')) {
      entry.status = 403;
      res
        .writeHead(403, { 'content-type': 'application/xml' })
        .end('<Error><Code>AccessDenied</Code></Error>');
      note(entry);
      return;
    }
    const digest = decodeURIComponent(m[2] as string);
    const headers: http.OutgoingHttpHeaders = { authorization: basic };
    if (req.headers.range) headers.range = req.headers.range;
    const upstreamReq = http.request(
      {
        host: '127.0.0.1',
        port: portOf(upstream),
        path: `/v2/${m[1]}/blobs/${m[2]}`,
        method: req.method,
        headers,
        agent,
      },
      (upstreamRes) => {
        relay(upstreamRes, res, entry, req.method === 'GET' ? blobFaults.get(digest) : undefined);
      },
    );
    upstreamReq.on('error', () => res.destroy());
    upstreamReq.end();
  });
  const storagePort = await listen(storage);

  function proxyPass(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    entry: RegistryRequest,
    fault: BlobFault | undefined,
  ): void {
    const upstreamReq = http.request(
      {
        host: '127.0.0.1',
        port: portOf(upstream),
        path: req.url,
        method: req.method,
        headers: forwardableHeaders(req.headers),
        agent,
      },
      (upstreamRes) => {
        const target = classify(entry.path);
        if (
          req.method === 'PUT' &&
          target.kind === 'manifest' &&
          upstreamRes.statusCode === 201 &&
          target.repo
        ) {
          const push: ManifestPush = {
            repository: target.repo,
            reference: target.ref ?? '',
            digest: String(upstreamRes.headers['docker-content-digest'] ?? ''),
            mediaType: String(req.headers['content-type'] ?? ''),
          };
          for (const listener of pushListeners) listener(push);
        }
        relay(upstreamRes, res, entry, fault);
      },
    );
    upstreamReq.on('error', () => {
      if (!res.headersSent) res.writeHead(502).end();
      else res.destroy();
    });
    req.pipe(upstreamReq);
  }

  const proxy = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://proxy');
    const target = classify(url.pathname);
    const entry: RegistryRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      status: 0,
      bytes: 0,
      kind: target.kind,
      via: 'registry',
    };
    const isBlobGet = target.kind === 'blob' && req.method === 'GET' && target.ref;
    if (isBlobGet && redirect) {
      // ECR answers blob GETs with a redirect only for callers it has authorized.
      const check = http.request(
        {
          host: '127.0.0.1',
          port: portOf(upstream),
          path: url.pathname,
          method: 'HEAD',
          headers: forwardableHeaders(req.headers),
          agent,
        },
        (checkRes) => {
          checkRes.resume();
          if (checkRes.statusCode !== 200) {
            proxyPass(req, res, entry, undefined);
            return;
          }
          const location =
            `http://127.0.0.1:${storagePort}/${target.repo}/blobs/${encodeURIComponent(target.ref as string)}` +
            `?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Expires=600&X-Amz-Signature=${randomBytes(16).toString('hex')}`;
          entry.status = 307;
          entry.fault = 'redirect';
          res.writeHead(307, { location, 'content-length': '0' }).end();
          note(entry);
        },
      );
      check.on('error', () => res.writeHead(502).end());
      check.end();
      return;
    }
    proxyPass(req, res, entry, isBlobGet ? blobFaults.get(target.ref as string) : undefined);
  });
  const proxyPort = await listen(proxy);

  let stopped: Promise<void> | undefined;
  return {
    host: `127.0.0.1:${proxyPort}`,
    upstream,
    username: REGISTRY_USER,
    password,
    auth,
    requests,
    faults: {
      corruptBlob: (digest) => blobFaults.set(digest, { type: 'corrupt' }),
      truncateBlob: (digest, afterBytes) =>
        blobFaults.set(digest, { type: 'truncate', afterBytes }),
      dropAfter: (digest, bytes) => blobFaults.set(digest, { type: 'drop', afterBytes: bytes }),
      redirectBlobs: (on) => {
        redirect = on;
      },
      clear: () => {
        blobFaults.clear();
        redirect = false;
      },
    },
    resetRequests: () => {
      requests.length = 0;
    },
    onManifestPush: (listener) => {
      pushListeners.add(listener);
      return () => pushListeners.delete(listener);
    },
    stop: () => {
      stopped ??= (async () => {
        proxy.closeAllConnections();
        storage.closeAllConnections();
        await Promise.all([
          new Promise((resolve) => proxy.close(resolve)),
          new Promise((resolve) => storage.close(resolve)),
        ]);
        agent.destroy();
        await stopChild(registryProcess);
        await rm(root, { recursive: true, force: true });
      })();
      return stopped;
    },
  };
}

function portOf(hostPort: string): number {
  return Number(hostPort.slice(hostPort.lastIndexOf(':') + 1));
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.stdin?.end();
  const timer = setTimeout(() => {
    // The watchdog shell did not finish: kill its whole process group.
    if (child.pid) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }, 5_000);
  await exited;
  clearTimeout(timer);
  running.delete(child);
}
