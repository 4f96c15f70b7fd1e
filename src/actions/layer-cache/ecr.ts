import { ECRClient, GetAuthorizationTokenCommand } from '@aws-sdk/client-ecr';
import { type AwsOptions, createAwsClient } from '../../lib/aws.ts';
import { messageOf } from '../../lib/errors.ts';
import { ecrRegistry } from '../../lib/image-ref.ts';
import type { Log } from '../../lib/log.ts';
import type { Credentials } from './auth.ts';

/** Whether the SDK's default chain has something to work with, without probing IMDS. */
export function hasAwsCredentials(env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(
    (env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) ||
      env.AWS_PROFILE ||
      env.AWS_WEB_IDENTITY_TOKEN_FILE ||
      env.AWS_CONTAINER_CREDENTIALS_FULL_URI ||
      env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI,
  );
}

export interface EcrToken extends Credentials {
  /** `https://<account>.dkr.ecr.<region>.amazonaws.com`, or the sandbox's registry. */
  proxyEndpoint: string;
}

/** `GetAuthorizationToken`: a base64 `AWS:<password>` valid for 12 hours. */
export async function getEcrToken(client: ECRClient, registryIds?: string[]): Promise<EcrToken> {
  const out = await client.send(
    new GetAuthorizationTokenCommand(registryIds ? { registryIds } : {}),
  );
  const data = out.authorizationData?.[0];
  const decoded = Buffer.from(data?.authorizationToken ?? '', 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (!data || colon <= 0) throw new Error('ECR GetAuthorizationToken returned no usable token');
  return {
    username: decoded.slice(0, colon),
    password: decoded.slice(colon + 1),
    proxyEndpoint: data.proxyEndpoint ?? '',
  };
}

function endpointHost(endpoint: string): string {
  try {
    return new URL(endpoint.includes('://') ? endpoint : `https://${endpoint}`).host;
  } catch {
    return '';
  }
}

export interface EcrProviderOptions {
  aws: AwsOptions;
  env?: NodeJS.ProcessEnv;
  /** Builds the ECR client; tests pass one wired to a mock. */
  client?: (region: string | undefined) => ECRClient;
  log?: Log;
}

/**
 * Credentials for a registry host from ECR. An ECR host gets a token for its own account and
 * region. Any other host gets one only when AWS credentials are configured and the token's
 * `proxyEndpoint` is that host: a registry fronted by ECR under another name is still ECR.
 */
export function ecrCredentialProvider(options: EcrProviderOptions) {
  const env = options.env ?? process.env;
  const client =
    options.client ??
    ((region: string | undefined) =>
      createAwsClient(ECRClient, region ? { ...options.aws, region } : options.aws));
  return async (host: string): Promise<Credentials | undefined> => {
    const ecr = ecrRegistry(host);
    if (ecr) {
      const token = await getEcrToken(client(ecr.region), [ecr.accountId]);
      return { username: token.username, password: token.password };
    }
    if (
      !hasAwsCredentials(env) ||
      !(options.aws.region || env.AWS_REGION || env.AWS_DEFAULT_REGION)
    ) {
      return undefined;
    }
    try {
      const token = await getEcrToken(client(undefined));
      if (endpointHost(token.proxyEndpoint) !== host) return undefined;
      return { username: token.username, password: token.password };
    } catch (err) {
      options.log?.debug(`ECR token for ${host} not available: ${messageOf(err)}`);
      return undefined;
    }
  };
}
