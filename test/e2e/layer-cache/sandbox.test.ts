import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, start } from '../../sandbox/index.ts';
import { blobRequests, checkLayout, runLayerCache, tempDir } from './helpers.ts';

let sandbox: Sandbox;

beforeAll(async () => {
  sandbox = await start({
    name: 'layer-cache',
    ecr: { repositories: [{ name: 'web', images: [{ tag: 'v1.0.0' }] }] },
  });
});

afterAll(async () => {
  await sandbox?.stop();
});

describe('layer-cache in the sandbox', () => {
  it('pulls an image the sandbox ECR holds with an ECR token, then serves it from the store', async () => {
    const registry = sandbox.registry!;
    const ref = `${registry.host}/web:v1.0.0`;
    const store = tempDir('store');
    registry.resetRequests();

    const cold = await runLayerCache({ images: ref, 'cache-dir': store }, { env: sandbox.env });

    expect(cold.errors).toEqual([]);
    expect(cold.outputs['cache-hit']).toBe('none');
    checkLayout(cold.outputs['oci-dir']!);
    // The registry asks for credentials, as ECR does; none were given, so the action found them
    // through GetAuthorizationToken, whose proxyEndpoint names this registry, and masked them.
    expect(sandbox.callsTo('GetAuthorizationToken')).toHaveLength(1);
    expect(cold.masks).toContain(sandbox.registry!.password);
    expect(cold.log).not.toContain(sandbox.registry!.password);

    registry.resetRequests();
    const warm = await runLayerCache({ images: ref, 'cache-dir': store }, { env: sandbox.env });

    expect(warm.outputs['cache-hit']).toBe('full');
    expect(blobRequests(registry)).toEqual([]);
  });
});
