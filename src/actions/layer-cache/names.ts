export const INPUT = {
  images: 'images',
  platform: 'platform',
  cacheDir: 'cache-dir',
  actionsCache: 'actions-cache',
  output: 'output',
  ociDir: 'oci-dir',
  registryUsername: 'registry-username',
  registryPassword: 'registry-password',
  concurrency: 'concurrency',
  maxSize: 'max-size',
  awsRegion: 'aws-region',
  awsMaxAttempts: 'aws-max-attempts',
} as const;

export const OUTPUT = {
  digests: 'digests',
  layersTotal: 'layers-total',
  layersFromCache: 'layers-from-cache',
  layersFromRegistry: 'layers-from-registry',
  bytesFromCache: 'bytes-from-cache',
  bytesFromRegistry: 'bytes-from-registry',
  cacheHit: 'cache-hit',
  ociDir: 'oci-dir',
} as const;

/** What the main step hands to the `post:` step. */
export const STATE = {
  isPost: 'is-post',
  saveBlobs: 'save-blobs',
} as const;
