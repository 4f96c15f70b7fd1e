import path from 'node:path';
import { ecrRegistry } from '../../lib/image-ref.ts';
import type { Log } from '../../lib/log.ts';
import type { ActionsBlobCache } from './actions-cache.ts';
import type { Credentials } from './auth.ts';
import { HttpClient } from './http.ts';
import type { LayerCacheInputs } from './inputs.ts';
import { OciLayoutWriter } from './layout.ts';
import { OUTPUT } from './names.ts';
import { digestsInUse, type PulledImage, pullImages, totals } from './pull.ts';
import { RegistryClient } from './registry-client.ts';
import { BlobStore, type EvictionResult } from './store.ts';
import { formatBytes, imageLine, renderSummary } from './summary.ts';

/** What the main step hands to post: the blobs to save to the Actions cache and where they are. */
export interface SaveState {
  cacheDir: string;
  stagingRoot: string;
  blobs: Array<{ digest: string; size: number }>;
}

export interface LayerCacheDeps {
  log: Log;
  /** Registers a secret with the runner, so it is never shown in the log. */
  mask: (secret: string) => void;
  /** The job's temp dir: the Actions cache stages blobs under it. */
  tempDir: string;
  /** The transport; the run makes (and closes) a proxy-aware one when none is given. */
  http?: HttpClient;
  /** Credentials from ECR for a registry host; the run loads the AWS SDK for it when none is given. */
  ecr?: (host: string) => Promise<Credentials | undefined>;
}

type OutputName = (typeof OUTPUT)[keyof typeof OUTPUT];

export interface LayerCacheResult {
  /** Every output of action.yml, by its name there. */
  outputs: Record<OutputName, string | number>;
  /** The job summary (Markdown). */
  summary: string;
  /** Set when blobs came from the registry and the Actions cache is on: the post step saves them. */
  save?: SaveState;
  images: PulledImage[];
  eviction: EvictionResult;
}

/** Idle connections and requests that send nothing for this long are given up (a blob resumes). */
const IDLE_TIMEOUT_MS = 60_000;

function stagingRoot(tempDir: string): string {
  return path.join(tempDir, 'fargate-delivery-layer-cache');
}

/** ECR credentials, with the AWS SDK loaded the first time a registry asks for them. */
function lazyEcr(inputs: LayerCacheInputs, log: Log) {
  let provider: Promise<(host: string) => Promise<Credentials | undefined>> | undefined;
  return async (host: string) => {
    provider ??= import('./ecr.ts').then((m) => m.ecrCredentialProvider({ aws: inputs.aws, log }));
    return (await provider)(host);
  };
}

/**
 * The action's main step: pulls the images into the store (store → Actions cache → registry),
 * writes the output, keeps the store within max-size, and says what the outputs and the summary are.
 */
export async function run(
  inputs: LayerCacheInputs,
  deps: LayerCacheDeps,
): Promise<LayerCacheResult> {
  const { log } = deps;
  const http = deps.http ?? new HttpClient({ idleTimeoutMs: IDLE_TIMEOUT_MS });
  const ecr = deps.ecr ?? lazyEcr(inputs, log);
  const clients = new Map<string, RegistryClient>();
  const client = (host: string) => {
    let existing = clients.get(host);
    if (!existing) {
      existing = new RegistryClient({
        host,
        http,
        auth: {
          ecr,
          isEcrHost: ecrRegistry(host) !== undefined,
          mask: deps.mask,
          ...(inputs.credentials ? { credentials: inputs.credentials } : {}),
        },
        log,
      });
      clients.set(host, existing);
    }
    return existing;
  };

  // Blobs are linked into the layout as they land, so only the metadata is left at the end.
  let layout: OciLayoutWriter | undefined;
  let done = false;
  try {
    const store = await BlobStore.open(inputs.cacheDir);
    let actionsCache: ActionsBlobCache | undefined;
    let actionsCacheState: 'on' | 'off' | 'unavailable' = 'off';
    if (inputs.actionsCache) {
      // The cache library and the AWS SDK take longer to load than a warm run takes: load them
      // only when used.
      const { ActionsBlobCache } = await import('./actions-cache.ts');
      if (ActionsBlobCache.available()) {
        actionsCache = new ActionsBlobCache({ stagingRoot: stagingRoot(deps.tempDir), log });
        actionsCacheState = 'on';
      } else {
        actionsCacheState = 'unavailable';
        log.info(
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
      log,
      ...(actionsCache ? { actionsCache } : {}),
      ...(writer ? { onStored: (digest: string) => writer.add(digest) } : {}),
    });
    for (const image of images) log.info(imageLine(image));

    // Eviction touches only blobs these images do not use, so it runs beside the output.
    const evicting = store.evict(inputs.maxSize, digestsInUse(images));
    evicting.catch(() => {}); // awaited below; an output failure must not leave it unhandled
    if (writer) {
      await writer.finish(images);
      log.info(`OCI layout written to ${inputs.ociDir}`);
    } else if (inputs.output === 'docker') {
      // Spawning docker needs child_process, which the other outputs need not load.
      const { loadIntoDocker } = await import('./docker.ts');
      await loadIntoDocker(images, store);
      log.info(`Loaded ${images.length} image(s) into Docker`);
    }

    const eviction = await evicting;
    if (eviction.removed > 0) {
      log.info(
        `Evicted ${eviction.removed} blobs (${formatBytes(eviction.freedBytes)}) to stay within max-size`,
      );
    }
    if (eviction.keptBytes > inputs.maxSize) {
      log.warning(
        `max-size: these images need ${formatBytes(eviction.keptBytes)}, more than ${formatBytes(inputs.maxSize)}; nothing they use was evicted`,
      );
    }

    const sums = totals(images);
    const result: LayerCacheResult = {
      outputs: {
        [OUTPUT.digests]: JSON.stringify(
          Object.fromEntries(images.map((i) => [i.image, i.digest])),
        ),
        [OUTPUT.layersTotal]: sums.layersTotal,
        [OUTPUT.layersFromCache]: sums.layersFromCache,
        [OUTPUT.layersFromRegistry]: sums.layersFromRegistry,
        [OUTPUT.bytesFromCache]: sums.bytesFromCache,
        [OUTPUT.bytesFromRegistry]: sums.bytesFromRegistry,
        [OUTPUT.cacheHit]: sums.cacheHit,
        [OUTPUT.ociDir]: inputs.output === 'oci' ? inputs.ociDir : '',
      },
      summary: renderSummary({
        images,
        totals: sums,
        output: inputs.output,
        ociDir: inputs.ociDir,
        eviction,
        maxSize: inputs.maxSize,
        actionsCache: actionsCacheState,
      }),
      images,
      eviction,
    };
    if (actionsCache && sums.fetched.length > 0) {
      result.save = {
        cacheDir: inputs.cacheDir,
        stagingRoot: stagingRoot(deps.tempDir),
        blobs: sums.fetched.map(({ digest, size }) => ({ digest, size })),
      };
    }
    done = true;
    return result;
  } finally {
    // After a failure, downloads other images started are cut off rather than waited for.
    if (!deps.http) await (done ? http.close() : http.destroy());
    await layout?.settle();
  }
}

/** The save state as main wrote it; undefined when main had nothing to save. */
export function parseSaveState(raw: string): SaveState | undefined {
  if (raw === '') return undefined;
  return JSON.parse(raw) as SaveState;
}

/** The post step: saves the blobs main fetched from the registry to the Actions cache. */
export async function runPost(
  state: SaveState,
  deps: { log: Log },
): Promise<{ saved: number; bytes: number }> {
  const { ActionsBlobCache } = await import('./actions-cache.ts');
  const cache = new ActionsBlobCache({ stagingRoot: state.stagingRoot, log: deps.log });
  const { saved, bytes } = await cache.saveAll(new BlobStore(state.cacheDir), state.blobs);
  deps.log.info(
    `Saved ${saved} of ${state.blobs.length} blobs (${formatBytes(bytes)}) to the Actions cache`,
  );
  return { saved, bytes };
}
