import {
  DescribeImagesCommand,
  type DescribeImagesCommandOutput,
  DescribeRepositoriesCommand,
  type ECRClient,
} from '@aws-sdk/client-ecr';
import { ActionError, errorName } from '../../lib/errors.ts';
import { ecrRegistry, formatImageRef, isImageRef, parseImageRef } from '../../lib/image-ref.ts';
import { containersOf, type TaskDefinitionDocument } from './document.ts';
import { INPUT } from './names.ts';

/** Where an image lives in ECR: the account when the host names it, and the repository. */
interface EcrLocation {
  registryId?: string;
  repositoryName: string;
}

/**
 * An image is in ECR when its host is `<account>.dkr.ecr.<region>.amazonaws.com`, or when ECR
 * has a repository of that name whose URI is `<host>/<repository>` (a pull-through or a local
 * registry that ECR answers for). Anything else cannot be pinned through ECR.
 */
async function locate(
  ecr: ECRClient,
  registry: string,
  repositoryName: string,
  image: string,
): Promise<EcrLocation> {
  const known = ecrRegistry(registry);
  if (known) return { registryId: known.accountId, repositoryName };
  const notEcr = new ActionError(
    `${INPUT.pinImageDigest}: ${image} is not in Amazon ECR, so its tag cannot be pinned to a digest (pin it yourself as name@sha256:…, or set pin-image-digest: false)`,
  );
  // A reference without a host is Docker Hub, which ECR cannot answer for.
  if (registry === 'docker.io') throw notEcr;
  try {
    const { repositories = [] } = await ecr.send(
      new DescribeRepositoriesCommand({ repositoryNames: [repositoryName] }),
    );
    const match = repositories.find((r) => r.repositoryUri === `${registry}/${repositoryName}`);
    if (!match) throw notEcr;
    return match.registryId ? { registryId: match.registryId, repositoryName } : { repositoryName };
  } catch (err) {
    if (errorName(err) === 'RepositoryNotFoundException') throw notEcr;
    throw err;
  }
}

async function resolveDigest(ecr: ECRClient, where: EcrLocation, tag: string, image: string) {
  let response: DescribeImagesCommandOutput;
  try {
    response = await ecr.send(
      new DescribeImagesCommand({ ...where, imageIds: [{ imageTag: tag }] }),
    );
  } catch (err) {
    const name = errorName(err);
    if (name === 'ImageNotFoundException') {
      throw new ActionError(`${INPUT.pinImageDigest}: tag not found in ECR: ${image}`);
    }
    if (name === 'RepositoryNotFoundException') {
      throw new ActionError(
        `${INPUT.pinImageDigest}: no ECR repository '${where.repositoryName}' for ${image}`,
      );
    }
    throw err;
  }
  const digest = response.imageDetails?.[0]?.imageDigest;
  if (!digest) throw new ActionError(`${INPUT.pinImageDigest}: tag not found in ECR: ${image}`);
  return digest;
}

/**
 * Replaces every tagged image with `repository@sha256:…` as ECR resolves the tag now, so the
 * task runs exactly what was tested even if the tag moves later. Images already pinned by
 * digest are left as they are. Returns a new definition and what was pinned.
 */
export async function pinImageDigests(
  ecr: ECRClient,
  definition: TaskDefinitionDocument,
): Promise<{
  definition: TaskDefinitionDocument;
  pinned: Array<{ container: string; from: string; to: string }>;
}> {
  const result = structuredClone(definition);
  const pinned: Array<{ container: string; from: string; to: string }> = [];
  const cache = new Map<string, Promise<string>>();
  for (const container of containersOf(result)) {
    const image = container.image;
    if (typeof image !== 'string') continue;
    const ref = parseImageRef(image);
    if (!isImageRef(ref) || ref.digest) continue;
    const tag = ref.tag ?? 'latest';
    const key = `${ref.registry}/${ref.repository}:${tag}`;
    let digest = cache.get(key);
    if (!digest) {
      digest = locate(ecr, ref.registry, ref.repository, image).then((where) =>
        resolveDigest(ecr, where, tag, image),
      );
      cache.set(key, digest);
    }
    const to = formatImageRef({
      registry: ref.registry,
      repository: ref.repository,
      digest: await digest,
    });
    container.image = to;
    pinned.push({ container: String(container.name), from: image, to });
  }
  return { definition: result, pinned };
}
