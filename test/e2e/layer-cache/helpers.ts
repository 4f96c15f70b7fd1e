// Shared steps of the layer-cache end-to-end tests: publish images to the sandbox registry with
// skopeo, run the built action through the harness, and check an OCI layout byte by byte.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { type RunOptions, type RunResult, runAction } from '../../harness/index.ts';
import {
  type BuiltImage,
  buildImage,
  type ImageSpec,
  MANIFEST_ACCEPT,
  writeOciLayout,
} from '../../sandbox/images.ts';
import type { Registry } from '../../sandbox/registry.ts';

const exec = promisify(execFile);

const scratch: string[] = [];
process.on('exit', () => {
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
});

export function tempDir(prefix: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), `layer-cache-e2e-${prefix}-`));
  scratch.push(dir);
  return dir;
}

export async function skopeo(args: string[]): Promise<string> {
  const { stdout } = await exec('skopeo', args, { maxBuffer: 16 * 1024 * 1024 });
  return stdout;
}

function creds(registry: Registry): string[] {
  return registry.auth ? ['--dest-creds', `${registry.username}:${registry.password}`] : [];
}

/** Builds an image and pushes it with `skopeo copy oci:… docker://…`, all platforms. */
export async function publish(
  registry: Registry,
  repo: string,
  tag: string,
  spec: ImageSpec,
): Promise<BuiltImage & { pushedDigest: string }> {
  const image = buildImage(spec);
  const layout = path.join(tempDir('src'), 'layout');
  await writeOciLayout(layout, image, tag);
  // Straight to the registry: the counting proxy is for what the action does, not the setup.
  await skopeo([
    'copy',
    '--all',
    '--quiet',
    '--dest-tls-verify=false',
    ...creds(registry),
    `oci:${layout}:${tag}`,
    `docker://${registry.upstream}/${repo}:${tag}`,
  ]);
  // skopeo re-serializes an index it copies, so the tag's digest is what the registry says.
  const head = await fetch(`http://${registry.upstream}/v2/${repo}/manifests/${tag}`, {
    method: 'HEAD',
    headers: {
      accept: MANIFEST_ACCEPT,
      ...(registry.auth
        ? {
            authorization: `Basic ${Buffer.from(`${registry.username}:${registry.password}`).toString('base64')}`,
          }
        : {}),
    },
  });
  return { ...image, pushedDigest: head.headers.get('docker-content-digest') ?? '' };
}

export function runLayerCache(
  inputs: Record<string, string | number | boolean>,
  options: Omit<RunOptions, 'inputs'> = {},
): Promise<RunResult> {
  return runAction('layer-cache', { ...options, inputs });
}

export function blobRequests(registry: Registry) {
  return registry.requests.filter((r) => r.kind === 'blob' && r.method === 'GET');
}

export function manifestRequests(registry: Registry) {
  return registry.requests.filter((r) => r.kind === 'manifest');
}

function sha256File(file: string): string {
  return `sha256:${createHash('sha256').update(readFileSync(file)).digest('hex')}`;
}

export interface LayoutCheck {
  index: { manifests: Array<{ digest: string; annotations?: Record<string, string> }> };
  dockerManifest: Array<{ Config: string; RepoTags: string[]; Layers: string[] }>;
  blobs: string[];
}

/**
 * Reads an OCI layout and checks it: every blob hashes to its file name, and every blob the
 * index, the manifests and Docker's manifest.json name is there.
 */
export function checkLayout(dir: string): LayoutCheck {
  const blobDir = path.join(dir, 'blobs', 'sha256');
  const blobs = readdirSync(blobDir).map((name) => `sha256:${name}`);
  for (const digest of blobs) {
    const actual = sha256File(path.join(blobDir, digest.slice(7)));
    if (actual !== digest) throw new Error(`${digest} in the layout hashes to ${actual}`);
  }
  const index = JSON.parse(
    readFileSync(path.join(dir, 'index.json'), 'utf8'),
  ) as LayoutCheck['index'];
  const dockerManifest = JSON.parse(
    readFileSync(path.join(dir, 'manifest.json'), 'utf8'),
  ) as LayoutCheck['dockerManifest'];
  const need = (digest: string) => {
    if (!blobs.includes(digest)) throw new Error(`${digest} is named but not in the layout`);
  };
  for (const entry of index.manifests) {
    need(entry.digest);
    const manifest = JSON.parse(
      readFileSync(path.join(blobDir, entry.digest.slice(7)), 'utf8'),
    ) as {
      config: { digest: string };
      layers: Array<{ digest: string }>;
    };
    need(manifest.config.digest);
    for (const layer of manifest.layers) need(layer.digest);
  }
  for (const image of dockerManifest) {
    for (const file of [image.Config, ...image.Layers]) need(`sha256:${path.basename(file)}`);
  }
  return { index, dockerManifest, blobs };
}
