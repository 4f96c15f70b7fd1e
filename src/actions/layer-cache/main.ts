import path from 'node:path';
import { ecrRegistry } from '../../lib/image-ref.ts';
import * as runner from '../../lib/runner.ts';
import type { ActionsBlobCache } from './actions-cache.ts';
import type { Credentials } from './auth.ts';
import { getInputs } from './inputs.ts';
import { OciLayoutWriter } from './layout.ts';
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
  if (runner.getState(STATE.isPost) === 'true') {
    await post();
    return;
  }
  runner.saveState(STATE.isPost, 'true');
  const inputs = getInputs();
  let ecrProvider: Promise<(host: string) => Promise<Credentials | undefined>> | undefined;
  const ecr = async (host: string) => {
    ecrProvider ??= import('./ecr.ts').then((m) =>
      m.ecrCredentialProvider({ aws: inputs.aws, log: runner.debug }),
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
        mask: runner.setSecret,
      };
      if (inputs.credentials) auth.credentials = inputs.credentials;
      existing = new RegistryClient({
        host,
        auth,
        log: runner.info,
      });
      clients.set(host, existing);
    }
    return existing;
  };

  // A reference by tag always asks the registry: connect while the store opens.
  for (const { ref } of inputs.images) if (!ref.digest) client(ref.registry).preconnect();

  // Blobs are linked into the layout as they land, so only the metadata is left at the end.
  let layout: OciLayoutWriter | undefined;
  try {
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
          log: runner.debug,
          warn: runner.warning,
        });
        actionsCacheState = 'on';
      } else {
        actionsCacheState = 'unavailable';
        runner.info(
          'actions-cache: the Actions cache service is not available to this job; using the local store only',
        );
      }
    }

    const writer = inputs.output === 'oci' ? new OciLayoutWriter(inputs.ociDir, store) : undefined;
    layout = writer;
    const images = await pullImages(inputs.images, {
      store,
      client,
      platform: inputs.platform,
      concurrency: inputs.concurrency,
      log: runner.info,
      warn: runner.warning,
      ...(actionsCache ? { actionsCache } : {}),
      ...(writer ? { onStored: (digest: string) => writer.add(digest) } : {}),
    });
    for (const image of images) runner.info(imageLine(image));

    // Eviction touches only blobs these images do not use, so it runs beside the output.
    const evicting = store.evict(inputs.maxSize, digestsInUse(images));
    evicting.catch(() => {}); // awaited below; an output failure must not leave it unhandled
    if (writer) {
      await writer.finish(images);
      runner.info(`OCI layout written to ${inputs.ociDir}`);
    } else if (inputs.output === 'docker') {
      // Spawning docker needs child_process, which the other outputs need not load.
      const { loadIntoDocker } = await import('./docker.ts');
      await loadIntoDocker(images, store);
      runner.info(`Loaded ${images.length} image(s) into Docker`);
    }

    const eviction = await evicting;
    if (eviction.removed > 0) {
      runner.info(
        `Evicted ${eviction.removed} blobs (${formatBytes(eviction.freedBytes)}) to stay within max-size`,
      );
    }
    if (eviction.keptBytes > inputs.maxSize) {
      runner.warning(
        `max-size: these images need ${formatBytes(eviction.keptBytes)}, more than ${formatBytes(inputs.maxSize)}; nothing they use was evicted`,
      );
    }

    const sums = totals(images);
    runner.setOutput(
      OUTPUT.digests,
      JSON.stringify(Object.fromEntries(images.map((i) => [i.image, i.digest]))),
    );
    runner.setOutput(OUTPUT.layersTotal, sums.layersTotal);
    runner.setOutput(OUTPUT.layersFromCache, sums.layersFromCache);
    runner.setOutput(OUTPUT.layersFromRegistry, sums.layersFromRegistry);
    runner.setOutput(OUTPUT.bytesFromCache, sums.bytesFromCache);
    runner.setOutput(OUTPUT.bytesFromRegistry, sums.bytesFromRegistry);
    runner.setOutput(OUTPUT.cacheHit, sums.cacheHit);
    runner.setOutput(OUTPUT.ociDir, inputs.output === 'oci' ? inputs.ociDir : '');

    if (actionsCache && sums.fetched.length > 0) {
      const state: SaveState = {
        cacheDir: inputs.cacheDir,
        stagingRoot: stagingRoot(),
        blobs: sums.fetched.map(({ digest, size }) => ({ digest, size })),
      };
      runner.saveState(STATE.saveBlobs, JSON.stringify(state));
    }

    runner.appendSummary(
      renderSummary({
        images,
        totals: sums,
        output: inputs.output,
        ociDir: inputs.ociDir,
        eviction,
        maxSize: inputs.maxSize,
        actionsCache: actionsCacheState,
      }),
    );
  } finally {
    for (const c of clients.values()) c.close();
    await layout?.settle();
  }
}

/** The post step: saves the blobs main fetched from the registry to the Actions cache. */
async function post(): Promise<void> {
  const raw = runner.getState(STATE.saveBlobs);
  if (!raw) return;
  const state = JSON.parse(raw) as SaveState;
  const { ActionsBlobCache } = await import('./actions-cache.ts');
  const cache = new ActionsBlobCache({
    stagingRoot: state.stagingRoot,
    log: runner.debug,
    warn: runner.warning,
  });
  const { saved, bytes } = await cache.saveAll(new BlobStore(state.cacheDir), state.blobs);
  runner.info(
    `Saved ${saved} of ${state.blobs.length} blobs (${formatBytes(bytes)}) to the Actions cache`,
  );
}
