import { ActionError } from './errors.ts';
import { USER_AGENT_NAME, VERSION } from './version.ts';

export interface AwsOptions {
  /** From the action's `aws-region` input, if it has one. */
  region?: string;
  /** Total attempts per call, retries included. */
  maxAttempts?: number;
  /**
   * Longest time one attempt may go without an answer (socket idle), in ms. A call that hangs
   * fails this attempt and is retried, so no wait is held past its deadline by a silent server.
   */
  requestTimeoutMs?: number;
  /** Longest time to open a connection, in ms. */
  connectTimeoutMs?: number;
}

export const DEFAULT_MAX_ATTEMPTS = 8;
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
export const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;

export function resolveRegion(input: string | undefined, env = process.env): string {
  const region = input || env.AWS_REGION || env.AWS_DEFAULT_REGION;
  if (!region) {
    throw new ActionError(
      'aws-region: no AWS region: set the aws-region input or AWS_REGION (aws-actions/configure-aws-credentials sets it)',
    );
  }
  return region;
}

/**
 * The configuration every AWS client in the suite is built with: adaptive retries (client-side
 * rate limiting on throttling), a user agent naming the suite, the region, and timeouts on
 * connecting and on every request. Endpoints are
 * left to the SDK, which honours AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_<SERVICE>.
 */
export function awsClientConfig(options: AwsOptions = {}) {
  return {
    region: resolveRegion(options.region),
    retryMode: 'adaptive' as const,
    maxAttempts: options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
    customUserAgent: [[USER_AGENT_NAME, VERSION]] as [string, string][],
    requestHandler: {
      requestTimeout: options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
      connectionTimeout: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
      // Without this the handler only logs a warning and keeps waiting for the answer.
      throwOnRequestTimeout: true,
    },
  };
}

/** `createAwsClient(ECSClient, options)`: one way to build any SDK v3 client. */
export function createAwsClient<C>(
  Client: new (config: ReturnType<typeof awsClientConfig>) => C,
  options: AwsOptions = {},
): C {
  return new Client(awsClientConfig(options));
}

/** The two inputs every AWS-calling action declares: `aws-region` and `aws-max-attempts`. */
export function readAwsOptions(source: (name: string) => string): AwsOptions {
  const region = source('aws-region');
  const attempts = source('aws-max-attempts');
  const options: AwsOptions = {};
  if (region !== '') options.region = region;
  if (attempts !== '') {
    if (!/^\d+$/.test(attempts) || Number(attempts) < 1 || Number(attempts) > 20) {
      throw new ActionError(
        `aws-max-attempts: must be a whole number from 1 to 20, got '${attempts}'`,
      );
    }
    options.maxAttempts = Number(attempts);
  }
  return options;
}
