import {
  DescribeImagesCommand,
  type DescribeImagesCommandOutput,
  type ECRClient,
} from '@aws-sdk/client-ecr';
import { ActionError, InputError } from '../../lib/errors.ts';
import { ecrRegistry, isImageRef, parseImageRef } from '../../lib/image-ref.ts';

export interface EcrImage {
  /** As the user wrote it, for messages. */
  reference: string;
  repositoryName: string;
  imageId: { imageTag: string } | { imageDigest: string };
  /** From an ECR host: the account and region that hold the repository. */
  registryId?: string;
  region?: string;
}

/**
 * An image reference naming an ECR repository: `<account>.dkr.ecr.<region>.amazonaws.com/repo:tag`,
 * `repo@sha256:…`, or any registry host in front (the sandbox's `127.0.0.1:PORT`), whose path is
 * the repository name. No tag and no digest means `latest`, as with `docker pull`.
 */
export function parseEcrImage(input: string, raw: string): EcrImage {
  const ref = parseImageRef(raw);
  if (!isImageRef(ref)) throw new InputError(input, ref.error);
  const explicitLibrary = /^(?:docker\.io\/)?library\//.test(raw);
  // Without a host, `web:v1` names the ECR repository `web`, not Docker Hub's `library/web`.
  const repositoryName =
    ref.registry === 'docker.io' && !explicitLibrary
      ? ref.repository.replace(/^library\//, '')
      : ref.repository;
  const image: EcrImage = {
    reference: raw,
    repositoryName,
    imageId: ref.digest ? { imageDigest: ref.digest } : { imageTag: ref.tag ?? 'latest' },
  };
  const ecr = ecrRegistry(ref.registry);
  if (ecr) {
    image.registryId = ecr.accountId;
    image.region = ecr.region;
  }
  return image;
}

/** The image's compressed size as ECR reports it (`imageSizeInBytes`). */
export async function imageSize(ecr: ECRClient, image: EcrImage): Promise<number> {
  let response: DescribeImagesCommandOutput;
  try {
    response = await ecr.send(
      new DescribeImagesCommand({
        repositoryName: image.repositoryName,
        imageIds: [image.imageId],
        ...(image.registryId ? { registryId: image.registryId } : {}),
      }),
    );
  } catch (err) {
    const name = (err as { name?: string }).name;
    if (name === 'ImageNotFoundException' || name === 'RepositoryNotFoundException') {
      const what = name === 'ImageNotFoundException' ? 'image' : 'repository';
      throw new ActionError(
        `image: ${image.reference}: no such ${what} in ECR (${name}); check the image input and aws-region`,
      );
    }
    throw err;
  }
  const size = response.imageDetails?.[0]?.imageSizeInBytes;
  if (size === undefined) {
    throw new ActionError(`image: ECR reported no size for ${image.reference}`);
  }
  return size;
}
