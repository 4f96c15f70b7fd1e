import path from 'node:path';
import * as core from '@actions/core';
import { ecrRegistry } from '../../lib/image-ref.ts';
import type { ActionsBlobCache } from './actions-cache.ts';
import type { Credentials } from './auth.ts';
import { loadIntoDocker } from './docker.ts';
import { getInputs } from './inputs.ts';
import { writeOciLayout } from './layout.ts';
import { OUTPUT, STATE } from './names.ts';
import { digestsInUse, pullImages, totals } from './pull.ts';
import { RegistryClient } from './registry-client.ts';
import { BlobStore } from './store.ts';
import { formatBytes, imageLine, renderSummary } from './summary.ts';

/** What main hands to post: the blobs to save and where they are. */
interface SaveState {
  cacheDir: string;
  stagingRoot: string;
  blobs: Array<{ digest: string; size: number }>;
}

function stagingRoot(): string {
  return path.join(
    process.env.RUNNER_TEMP || path.join(process.cwd(), '.tmp'),
    'fargate-delivery-layer-cache',
  );
}

/** The action's entry for both steps: `post:` runs the same bundle with state from main. */
export async function main(): Promise<void> {
  if (core.getState(STATE.isPost) === 'true') {
    await post();
    return;
  }
  core.saveState(STATE.isPost, 'true');
  const inputs = getInputs();
  const store = await BlobStore.open(inputs.cacheDir);

  let actionsCache: ActionsBlobCache | undefined;
  let actionsCacheState: 'on' | 'off' | 'unavailable' = 'off';
  if (inputs.actionsCache) {
    // The cache library and the AWS SDK take longer to load than a warm run takes: load them
    // only when used.
    const { ActionsBlobCache } = await import('./actions-cache.ts');
    if (ActionsBlobCache.available()) {
      actionsCache = new ActionsBlobCache({
        stagingRoot: stagingRoot(),
        log: core.debug,
        warn: core.warning,
      });
      actionsCacheState = 'on';
    } else {
      actionsCacheState = 'unavailable';
      core.info(
        'actions-cache: the Actions cache service is not available to this job; using the local store only',
      );
    }
  }

  let ecrProvider: Promise<(host: string) => Promise<Credentials | undefined>> | undefined;
  const ecr = async (host: string) => {
    ecrProvider ??= import('./ecr.ts').then((m) =>
      m.ecrCredentialProvider({ aws: inputs.aws, log: core.debug }),
    );
    return (await ecrProvider)(host);
  };
  const clients = new Map<string, RegistryClient>();
  const client = (host: string) => {
    let existing = clients.get(host);
    if (!existing) {
      const auth: ConstructorParameters<typeof RegistryClient>[0]['auth'] = {
        ecr,
        isEcrHost: ecrRegistry(host) !== undefined,
        mask: core.setSecret,
      };
      if (inputs.credentials) auth.credentials = inputs.credentials;
      existing = new RegistryClient({
        host,
        auth,
        connections: inputs.concurrency,
        log: core.info,
      });
      clients.set(host, existing);
    }
    return existing;
  };

  try {
    const images = await pullImages(inputs.images, {
      store,
      client,
      platform: inputs.platform,
      concurrency: inputs.concurrency,
      log: core.info,
      warn: core.warning,
      ...(actionsCache ? { actionsCache } : {}),
    });
    for (const image of images) core.info(imageLine(image));

    if (inputs.output === 'oci') {
      await writeOciLayout(inputs.ociDir, images, store);
      core.info(`OCI layout written to ${inputs.ociDir}`);
    } else if (inputs.output === 'docker') {
      await loadIntoDocker(images, store);
      core.info(`Loaded ${images.length} image(s) into Docker`);
    }

    const eviction = await store.evict(inputs.maxSize, digestsInUse(images));
    if (eviction.removed > 0) {
      core.info(
        `Evicted ${eviction.removed} blobs (${formatBytes(eviction.freedBytes)}) to stay within max-size`,
      );
    }
    if (eviction.keptBytes > inputs.maxSize) {
      core.warning(
        `max-size: these images need ${formatBytes(eviction.keptBytes)}, more than ${formatBytes(inputs.maxSize)}; nothing they use was evicted`,
      );
    }

    const sums = totals(images);
    core.setOutput(
      OUTPUT.digests,
      JSON.stringify(Object.fromEntries(images.map((i) => [i.image, i.digest]))),
    );
    core.setOutput(OUTPUT.layersTotal, sums.layersTotal);
    core.setOutput(OUTPUT.layersFromCache, sums.layersFromCache);
    core.setOutput(OUTPUT.layersFromRegistry, sums.layersFromRegistry);
    core.setOutput(OUTPUT.bytesFromCache, sums.bytesFromCache);
    core.setOutput(OUTPUT.bytesFromRegistry, sums.bytesFromRegistry);
    core.setOutput(OUTPUT.cacheHit, sums.cacheHit);
    core.setOutput(OUTPUT.ociDir, inputs.output === 'oci' ? inputs.ociDir : '');

    if (actionsCache && sums.fetched.length > 0) {
      const state: SaveState = {
        cacheDir: inputs.cacheDir,
        stagingRoot: stagingRoot(),
        blobs: sums.fetched.map(({ digest, size }) => ({ digest, size })),
      };
      core.saveState(STATE.saveBlobs, JSON.stringify(state));
    }

    await core.summary
      .addRaw(
        renderSummary({
          images,
          totals: sums,
          output: inputs.output,
          ociDir: inputs.ociDir,
          eviction,
          maxSize: inputs.maxSize,
          actionsCache: actionsCacheState,
        }),
      )
      .write();
  } finally {
    for (const c of clients.values()) c.close();
  }
}

/** The post step: saves the blobs main fetched from the registry to the Actions cache. */
async function post(): Promise<void> {
  const raw = core.getState(STATE.saveBlobs);
  if (!raw) return;
  const state = JSON.parse(raw) as SaveState;
  const { ActionsBlobCache } = await import('./actions-cache.ts');
  const cache = new ActionsBlobCache({
    stagingRoot: state.stagingRoot,
    log: core.debug,
    warn: core.warning,
  });
  const { saved, bytes } = await cache.saveAll(new BlobStore(state.cacheDir), state.blobs);
  core.info(
    `Saved ${saved} of ${state.blobs.length} blobs (${formatBytes(bytes)}) to the Actions cache`,
  );
}
