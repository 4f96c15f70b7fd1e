import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../harness/index.ts';
import { type Registry, startRegistry } from '../../sandbox/registry.ts';
import { publish, runLayerCache, skopeo, tempDir } from './helpers.ts';

// CI runners for these tests have no Docker daemon: a fake `docker` on PATH keeps what
// `docker load` is sent, and skopeo proves that archive is an image Docker can load.
const fakeDockerBin = path.join(repoRoot, 'test', 'fixtures', 'layer-cache', 'bin');

let registry: Registry;

beforeAll(async () => {
  registry = await startRegistry();
});

afterAll(async () => {
  await registry?.stop();
});

function dockerEnv(dir: string, extra: Record<string, string> = {}) {
  return {
    PATH: `${fakeDockerBin}${path.delimiter}${process.env.PATH}`,
    FAKE_DOCKER_DIR: dir,
    ...extra,
  };
}

describe('output: docker', () => {
  it('streams the image into docker load as an archive Docker reads, and checks the loaded id', async () => {
    const image = await publish(registry, 'loaded', 'v1', {
      layers: [
        { size: 200_000, seed: 'd1' },
        { size: 300_000, seed: 'd2' },
      ],
    });
    const dir = tempDir('docker');

    const result = await runLayerCache(
      { images: `${registry.host}/loaded:v1`, output: 'docker', 'cache-dir': tempDir('store') },
      { env: dockerEnv(dir) },
    );

    expect(result.errors).toEqual([]);
    expect(result.outputs['oci-dir']).toBe('');
    const inspected = JSON.parse(
      await skopeo(['inspect', `docker-archive:${path.join(dir, 'archive.tar')}`]),
    ) as {
      Layers: string[];
    };
    // A docker-save archive names layers by the digests of their uncompressed content.
    expect(inspected.Layers).toEqual(image.layers.map((l) => l.diffId));
    // Copying reads every layer of the archive and checks it against the config.
    const copy = path.join(tempDir('copy'), 'layout');
    await skopeo([
      'copy',
      '--quiet',
      `docker-archive:${path.join(dir, 'archive.tar')}`,
      `oci:${copy}:v1`,
    ]);
    expect(result.summary).toContain('loaded into Docker');
  });

  it('fails when the image Docker reports is not the one that was verified', async () => {
    await publish(registry, 'mismatch', 'v1', { layers: [{ size: 100_000, seed: 'm1' }] });
    const ref = `${registry.host}/mismatch:v1`;

    const result = await runLayerCache(
      { images: ref, output: 'docker', 'cache-dir': tempDir('store') },
      { env: dockerEnv(tempDir('docker'), { FAKE_DOCKER_ID: `sha256:${'0'.repeat(64)}` }) },
    );

    expect(result.exitCode).toBe(1);
    expect(result.errors[0]).toMatch(
      new RegExp(`^${ref}: docker load produced image sha256:0{64}, expected sha256:[0-9a-f]{64}$`),
    );
  });

  it('says what to do when docker is not installed', async () => {
    await publish(registry, 'nodocker', 'v1', { layers: [{ size: 1000, seed: 'n1' }] });

    const result = await runLayerCache(
      { images: `${registry.host}/nodocker:v1`, output: 'docker', 'cache-dir': tempDir('store') },
      { env: { PATH: path.dirname(process.execPath) } },
    );

    expect(result.errors).toEqual([
      "output: docker: 'docker' is not installed on this runner (use output: oci)",
    ]);
  });
});
