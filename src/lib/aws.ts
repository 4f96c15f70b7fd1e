import { NodeHttpHandler, type NodeHttpHandlerOptions } from '@smithy/node-http-handler';
import type { MiddlewareStack } from '@smithy/types';
import { ActionError, errorName } from './errors.ts';
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

export function resolveRegion(
  input: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): string {
  const region = input || env.AWS_REGION || env.AWS_DEFAULT_REGION;
  if (!region) {
    throw new ActionError(
      'aws-region: no AWS region: set the aws-region input or AWS_REGION (aws-actions/configure-aws-credentials sets it)',
    );
  }
  return region;
}

const PROXY_VARIABLES = ['http_proxy', 'https_proxy', 'all_proxy'];

/** Whether the environment names a forward proxy (upper or lower case), as curl and npm read it. */
export function proxyConfigured(env: NodeJS.ProcessEnv = process.env): boolean {
  return PROXY_VARIABLES.some((name) => env[name] || env[name.toUpperCase()]);
}

/**
 * The SDK's Node handler ignores HTTP_PROXY and friends. When one is set, the handler gets agents
 * that send each request through the proxy the environment names for its URL, or directly when
 * NO_PROXY covers the host. They are loaded on the first request, so a step without a proxy never
 * pays for them.
 */
function requestHandler(options: NodeHttpHandlerOptions, env: NodeJS.ProcessEnv) {
  if (!proxyConfigured(env)) return options;
  return new NodeHttpHandler(async () => {
    const { proxyAgents } = await import('./proxy.ts');
    return { ...options, ...proxyAgents() };
  });
}

/**
 * The configuration every AWS client in the suite is built with: adaptive retries (client-side
 * rate limiting on throttling), a user agent naming the suite, the region, timeouts on
 * connecting and on every request, and the proxy the environment names. Endpoints are
 * left to the SDK, which honours AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_<SERVICE>.
 */
export function awsClientConfig(options: AwsOptions = {}, env: NodeJS.ProcessEnv = process.env) {
  return {
    region: resolveRegion(options.region, env),
    retryMode: 'adaptive' as const,
    maxAttempts: options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
    customUserAgent: [[USER_AGENT_NAME, VERSION]] as [string, string][],
    requestHandler: requestHandler(
      {
        requestTimeout: options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
        connectionTimeout: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
        // Without this the handler only logs a warning and keeps waiting for the answer.
        throwOnRequestTimeout: true,
      },
      env,
    ),
  };
}

/**
 * The input fields that say which resource a call is about, and how the error line names them.
 * Only identifiers: never a field that can carry a secret, an environment value or a document.
 */
const RESOURCE_FIELDS: ReadonlyArray<readonly [field: string, label: string]> = [
  ['cluster', 'cluster'],
  ['service', 'service'],
  ['services', 'service'],
  ['taskDefinition', 'task definition'],
  ['family', 'family'],
  ['familyPrefix', 'family'],
  ['tasks', 'task'],
  ['serviceDeploymentArn', 'service deployment'],
  ['serviceDeploymentArns', 'service deployment'],
  ['registryId', 'registry'],
  ['registryIds', 'registry'],
  ['repositoryName', 'repository'],
  ['repositoryNames', 'repository'],
  ['imageId', 'image'],
  ['imageIds', 'image'],
  ['imageTag', 'tag'],
  ['applicationName', 'application'],
  ['deploymentGroupName', 'deployment group'],
  ['deploymentId', 'deployment'],
  ['targetId', 'target'],
];

const MAX_VALUE = 64;
const MAX_LISTED = 3;

function shortValue(value: unknown): string | undefined {
  let text: string | undefined;
  if (typeof value === 'string') {
    // An ARN's last path segment is the name people know it by (cluster/prod → prod).
    text = value.startsWith('arn:') ? value.slice(value.lastIndexOf('/') + 1) : value;
  } else if (typeof value === 'object' && value !== null) {
    const { imageTag, imageDigest } = value as { imageTag?: unknown; imageDigest?: unknown };
    if (typeof imageTag === 'string') text = imageTag;
    else if (typeof imageDigest === 'string')
      text = imageDigest.replace(/^(sha256:\w{12})\w+$/, '$1');
  }
  if (text === undefined) return undefined;
  text = text.replace(/\p{Cc}+/gu, ' ').trim();
  if (text === '') return undefined;
  return text.length > MAX_VALUE ? `${text.slice(0, MAX_VALUE - 1)}…` : text;
}

function listValue(value: unknown): string | undefined {
  if (!Array.isArray(value)) return shortValue(value);
  const items = value.map(shortValue).filter((v): v is string => v !== undefined);
  if (items.length === 0) return undefined;
  const more = items.length > MAX_LISTED ? ` +${items.length - MAX_LISTED} more` : '';
  return `${items.slice(0, MAX_LISTED).join(', ')}${more}`;
}

/** `cluster prod, service web`: what a call's input identifies, in a few words. */
export function describeResource(input: unknown): string {
  if (typeof input !== 'object' || input === null) return '';
  const record = input as Record<string, unknown>;
  return RESOURCE_FIELDS.flatMap(([field, label]) => {
    const value = listValue(record[field]);
    return value === undefined ? [] : [`${label} ${value}`];
  }).join(', ');
}

/** What an AWS failure carries once the client has named the call. */
export interface NamedCallError extends Error {
  $operation: string;
  $resource: string;
}

/**
 * Puts the operation and the resource in front of a failed call's message:
 * `DescribeServices (cluster prod, service web): AccessDeniedException: …`. The error keeps its
 * name, class and $metadata, so code that branches on them still works.
 */
export function nameTheCall(err: unknown, commandName: string, input: unknown): unknown {
  if (!(err instanceof Error) || '$operation' in err) return err;
  const operation = commandName.replace(/Command$/, '');
  const resource = describeResource(input);
  const name = errorName(err);
  const what = name && name !== 'Error' ? name : '';
  // Node's AggregateError (every address refused) has no message of its own, only a code.
  const message = err.message || String((err as { code?: unknown }).code ?? '');
  const detail = [what, message].filter((part) => part !== '');
  if (detail.length === 2 && detail[0] === detail[1]) detail.pop();
  err.message = `${operation}${resource ? ` (${resource})` : ''}: ${detail.join(': ')}`;
  Object.defineProperties(err, {
    $operation: { value: operation, enumerable: false },
    $resource: { value: resource, enumerable: false },
  });
  return err;
}

// biome-ignore lint/suspicious/noExplicitAny: the stack of any client, whatever its input and output types
type AnyMiddlewareStack = MiddlewareStack<any, any>;

/**
 * `createAwsClient(ECSClient, options)`: one way to build any SDK v3 client. Its failures name
 * the call: the middleware sits at the start of the stack, so it sees the error after every retry.
 */
export function createAwsClient<C extends { middlewareStack: AnyMiddlewareStack }>(
  Client: new (config: ReturnType<typeof awsClientConfig>) => C,
  options: AwsOptions = {},
): C {
  const client = new Client(awsClientConfig(options));
  client.middlewareStack.add(
    (next, context) => async (args) => {
      try {
        return await next(args);
      } catch (err) {
        throw nameTheCall(err, context.commandName ?? 'AWS call', args.input);
      }
    },
    { step: 'initialize', priority: 'high', name: 'fargateDeliveryNameTheCall' },
  );
  return client;
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
