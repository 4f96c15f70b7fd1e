// The contract between the sandbox's core (server, clock, faults, scenario) and its service
// modules (ECS, CodeDeploy, ECR, GitHub, registry). Each module lives in its own file and
// is wired into the server by `index.ts`. This file is test infrastructure: never bundled.

/** Simulated time. `now()` is simulated epoch milliseconds; it runs `speed` times real time. */
export interface Clock {
  readonly speed: number;
  now(): number;
  /** Resolves after `simulatedMs` of simulated time. */
  sleep(simulatedMs: number): Promise<void>;
}

/** An error answered in the AWS JSON 1.1 shape: `{"__type": type, "message": message}`. */
export class AwsError extends Error {
  readonly type: string;
  readonly status: number;
  constructor(type: string, message: string, status = 400) {
    super(message);
    this.type = type;
    this.status = status;
  }
}

/** An error answered in GitHub's REST shape: `{"message": message}` with `status`. */
export class GitHubError extends Error {
  readonly status: number;
  readonly headers: Record<string, string>;
  constructor(status: number, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.status = status;
    this.headers = headers;
  }
}

export type ServiceName =
  | 'ecs'
  | 'ecr'
  | 'codedeploy'
  | 'logs'
  | 'elbv2'
  | 'sts'
  | 'github'
  | 'registry'
  /** The Actions cache service (Twirp) and the blob storage behind its signed URLs. */
  | 'actions-cache'
  | 'actions-cache-blob';

/** One recorded call. Secrets (tokens, passwords, Authorization headers) are never recorded. */
export interface CallRecord {
  service: ServiceName;
  /** AWS operation (`UpdateService`) or `METHOD /route` for GitHub and the registry. */
  operation: string;
  /** Simulated epoch ms when the request arrived. */
  time: number;
  /** Real `Date.now()` when the request arrived. */
  realTime: number;
  params: unknown;
  status: number;
  /** Set when a fault was injected into this call instead of handling it. */
  fault?: string;
}

export interface AccountContext {
  region: string;
  accountId: string;
  clock: Clock;
}

/** An AWS JSON 1.1 service: the server routes `X-Amz-Target: <targetPrefix>.<Operation>` here. */
export interface AwsServiceModule {
  readonly name: 'ecs' | 'ecr' | 'codedeploy' | 'logs';
  /** e.g. `AmazonEC2ContainerServiceV20141113`, `AmazonEC2ContainerRegistry_V20150921`, `CodeDeploy_20141006`, `Logs_20140328`. */
  readonly targetPrefix: string;
  /** Return the response body, or throw `AwsError`. Unknown operations throw `UnknownOperationException`. */
  handle(operation: string, params: Record<string, unknown>): unknown | Promise<unknown>;
}

/**
 * An AWS query-protocol service (form-encoded `Action=…&Version=…` POSTs, XML answers): the
 * server routes a request here by its `Version`, wraps the returned XML in
 * `<{Action}Response xmlns><{Action}Result>`, and answers a thrown `AwsError` as `<ErrorResponse>`.
 */
export interface QueryServiceModule {
  readonly name: ServiceName;
  /** The API version requests carry, e.g. `2015-12-01` for ELBv2. */
  readonly version: string;
  readonly xmlNamespace: string;
  /** The `<{Action}Result>` element's content, or throw `AwsError`. */
  handle(action: string, params: URLSearchParams): string | Promise<string>;
}
