// The sandbox's HTTP front: AWS JSON 1.1 calls (`X-Amz-Target: <prefix>.<Operation>`) go to
// the AWS service modules, AWS query-protocol calls (form-encoded `Action=…&Version=…`) to the
// query modules by their `Version`, everything else to the GitHub simulator. Every call is recorded,
// and transport faults (throttling, 5xx, latency, dropped connections, GitHub rate limits) are
// injected here before a module sees the call.

import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type ActionsCacheService, startActionsCache } from './actions-cache.ts';
import { createClock, type SandboxClock, Scheduler, type SimContext } from './clock.ts';
import { type FaultSpec, Faults, seededRandom } from './faults.ts';
import type { GitHubModule, GitHubScenario } from './github.ts';
import type { Registry, StartRegistryOptions } from './registry.ts';
import {
  loadScenario,
  type ResolvedScenario,
  resolveScenario,
  type Scenario,
  validateScenario,
} from './scenario.ts';
import { type CodeDeployModule, createCodeDeploy } from './services/codedeploy.ts';
import type { EcrModule, EcrScenario } from './services/ecr.ts';
import { createEcs, type EcsModule } from './services/ecs.ts';
import { registryImages } from './services/ecs-run-task.ts';
import { createElbv2, type Elbv2Module } from './services/elbv2.ts';
import { createLogs, type LogsModule } from './services/logs.ts';
import { createSts, type StsModule } from './services/sts.ts';
import {
  type AccountContext,
  AwsError,
  type AwsServiceModule,
  type CallRecord,
  type Clock,
  GitHubError,
  type QueryServiceModule,
  type ServiceName,
} from './types.ts';

export interface GitHubRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

export interface GitHubResponse {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

export interface GitHubHandler {
  handle(req: GitHubRequest): Promise<GitHubResponse>;
}

export interface ServerOptions {
  port?: number;
  clock: Clock;
  scheduler: Scheduler;
  faults: Faults;
  aws: AwsServiceModule[];
  /** Query-protocol services (ELBv2), routed by the `Version` their requests carry. */
  query?: QueryServiceModule[];
  sts?: StsModule;
  github?: GitHubHandler;
  record(call: CallRecord): void;
}

export interface SandboxServer {
  endpoint: string;
  port: number;
  server: Server;
  close(): Promise<void>;
}

const AWS_JSON = 'application/x-amz-json-1.1';
/** STS's API version: its query-protocol calls go to the STS module, the rest by version. */
const STS_VERSION = '2011-06-15';
const SECRET_KEY = /^(?!nextToken$).*(password|secret|token|authorization|credential)/i;

/** A copy of `value` with secret-looking fields replaced, fit for the call record. */
export function redact(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redact);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>).map(([k, v]) => [
      k,
      SECRET_KEY.test(k) ? '[redacted]' : redact(v),
    ]),
  );
}

const SERVICE_BY_PREFIX: Record<string, ServiceName> = {
  AmazonEC2ContainerServiceV20141113: 'ecs',
  AmazonEC2ContainerRegistry_V20150921: 'ecr',
  CodeDeploy_20141006: 'codedeploy',
  Logs_20140328: 'logs',
};

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function send(
  res: ServerResponse,
  status: number,
  headers: Record<string, string>,
  body: string | Buffer,
) {
  res.writeHead(status, { 'content-length': String(Buffer.byteLength(body)), ...headers });
  res.end(body);
}

function sendAwsError(res: ServerResponse, error: AwsError): void {
  send(
    res,
    error.status,
    {
      'content-type': AWS_JSON,
      'x-amzn-requestid': randomUUID(),
      'x-amzn-errortype': error.type,
    },
    JSON.stringify({ __type: error.type, message: error.message }),
  );
}

function xmlText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function sendQueryError(res: ServerResponse, error: AwsError, namespace: string): void {
  const requestId = randomUUID();
  send(
    res,
    error.status,
    { 'content-type': 'text/xml', 'x-amzn-requestid': requestId },
    `<ErrorResponse xmlns="${namespace}"><Error><Type>${error.status >= 500 ? 'Receiver' : 'Sender'}</Type><Code>${xmlText(error.type)}</Code><Message>${xmlText(error.message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
  );
}

/** The AWS error a transport fault answers with. */
export function faultError(fault: FaultSpec): AwsError {
  if (fault.kind === 'throttle') {
    return new AwsError(fault.type ?? 'ThrottlingException', 'Rate exceeded', fault.status ?? 400);
  }
  const status = fault.status ?? 503;
  const type = fault.type ?? (status === 503 ? 'ServiceUnavailableException' : 'InternalFailure');
  const message =
    status === 503
      ? 'Service is unavailable. Please try again later.'
      : 'The request processing has failed because of an unknown error, exception or failure.';
  return new AwsError(type, message, status);
}

/** The GitHub answer for a GitHub-side fault. */
export function githubFault(fault: FaultSpec): GitHubResponse {
  const retryAfter = String(fault.retryAfter ?? 1);
  if (fault.kind === 'github-secondary-rate-limit') {
    return {
      status: 403,
      headers: { 'retry-after': retryAfter },
      body: {
        message:
          'You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID.',
        documentation_url:
          'https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api#about-secondary-rate-limits',
      },
    };
  }
  if (fault.kind === 'github-rate-limit') {
    const reset = Math.ceil(Date.now() / 1000) + Number(retryAfter);
    return {
      status: 429,
      headers: {
        'retry-after': retryAfter,
        'x-ratelimit-limit': '5000',
        'x-ratelimit-remaining': '0',
        'x-ratelimit-used': '5000',
        'x-ratelimit-reset': String(reset),
        'x-ratelimit-resource': 'core',
      },
      body: {
        message: 'API rate limit exceeded for installation.',
        documentation_url:
          'https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api',
      },
    };
  }
  const status = fault.status ?? 503;
  return {
    status,
    body: { message: status === 502 ? 'Server Error' : 'Service Unavailable' },
  };
}

/** The form of an AWS query-protocol request (STS), or undefined for any other request. */
function queryProtocolForm(req: IncomingMessage, raw: Buffer): URLSearchParams | undefined {
  if (req.method !== 'POST') return undefined;
  if (!String(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
    return undefined;
  }
  const form = new URLSearchParams(raw.toString('utf8'));
  return form.has('Action') ? form : undefined;
}

export function startServer(options: ServerOptions): Promise<SandboxServer> {
  const { clock, scheduler, faults, record } = options;
  const modules = new Map(options.aws.map((m) => [m.targetPrefix, m]));
  const queryModules = new Map((options.query ?? []).map((m) => [m.version, m]));

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const time = clock.now();
    const realTime = Date.now();
    const raw = await readBody(req);
    const target = req.headers['x-amz-target'];
    const form = queryProtocolForm(req, raw);
    if (typeof target === 'string') {
      await handleAws(req, res, target, raw, time, realTime);
    } else if (form !== undefined) {
      if (form.get('Version') === STS_VERSION) await handleSts(req, res, form, time, realTime);
      else await handleQuery(req, res, form, time, realTime);
    } else {
      await handleGitHub(req, res, raw, time, realTime);
    }
  }

  async function handleAws(
    req: IncomingMessage,
    res: ServerResponse,
    target: string,
    raw: Buffer,
    time: number,
    realTime: number,
  ): Promise<void> {
    const dot = target.lastIndexOf('.');
    const prefix = target.slice(0, dot);
    const operation = target.slice(dot + 1);
    const module = modules.get(prefix);
    const service: ServiceName = module?.name ?? SERVICE_BY_PREFIX[prefix] ?? 'ecs';
    let params: Record<string, unknown> = {};
    let parseError: AwsError | undefined;
    try {
      const text = raw.toString('utf8');
      params = text.trim() === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
    } catch {
      parseError = new AwsError(
        'SerializationException',
        'Start of structure or map found where not expected.',
      );
    }
    const call: CallRecord = {
      service,
      operation,
      time,
      realTime,
      params: redact(params),
      status: 0,
    };
    record(call);
    const decision = faults.decide(service, operation);
    if (decision.applied.length > 0) call.fault = decision.applied.join(',');
    if (decision.latencyMs > 0) await delay(decision.latencyMs);
    if (decision.fault?.kind === 'drop') {
      req.socket.destroy();
      return;
    }
    let error: AwsError | undefined = parseError;
    if (decision.fault !== undefined) error = faultError(decision.fault);
    else if (module === undefined) {
      error = new AwsError('UnknownOperationException', `Unknown service target ${target}`);
    }
    let result: unknown;
    if (error === undefined && module !== undefined) {
      try {
        scheduler.advance(clock.now());
        result = await module.handle(operation, params);
        scheduler.advance(clock.now());
      } catch (e) {
        error =
          e instanceof AwsError
            ? e
            : new AwsError('InternalFailure', `Simulator error: ${(e as Error).message}`, 500);
      }
    }
    if (error !== undefined) {
      call.status = error.status;
      sendAwsError(res, error);
      return;
    }
    call.status = 200;
    send(
      res,
      200,
      { 'content-type': AWS_JSON, 'x-amzn-requestid': randomUUID() },
      JSON.stringify(result ?? {}),
    );
  }

  async function handleQuery(
    req: IncomingMessage,
    res: ServerResponse,
    params: URLSearchParams,
    time: number,
    realTime: number,
  ): Promise<void> {
    const action = params.get('Action') ?? '';
    const version = params.get('Version') ?? '';
    const module = queryModules.get(version);
    const namespace = module?.xmlNamespace ?? 'http://webservices.amazon.com/AWSFault/2005-15-09';
    const call: CallRecord = {
      service: module?.name ?? 'elbv2',
      operation: action,
      time,
      realTime,
      params: redact(Object.fromEntries(params)),
      status: 0,
    };
    record(call);
    const decision = faults.decide(call.service, action);
    if (decision.applied.length > 0) call.fault = decision.applied.join(',');
    if (decision.latencyMs > 0) await delay(decision.latencyMs);
    if (decision.fault?.kind === 'drop') {
      req.socket.destroy();
      return;
    }
    let error: AwsError | undefined;
    if (decision.fault !== undefined) {
      const fault = faultError(decision.fault);
      // The query protocol's own codes for the same faults.
      const code =
        decision.fault.type ??
        { ThrottlingException: 'Throttling', ServiceUnavailableException: 'ServiceUnavailable' }[
          fault.type
        ] ??
        fault.type;
      error = new AwsError(code, fault.message, fault.status);
    } else if (action === '') {
      error = new AwsError('MissingAction', 'The request must contain the parameter Action.');
    } else if (module === undefined) {
      error = new AwsError('InvalidAction', `No service here answers API version '${version}'.`);
    }
    let result = '';
    if (error === undefined && module !== undefined) {
      try {
        scheduler.advance(clock.now());
        result = await module.handle(action, params);
        scheduler.advance(clock.now());
      } catch (e) {
        error =
          e instanceof AwsError
            ? e
            : new AwsError('InternalFailure', `Simulator error: ${(e as Error).message}`, 500);
      }
    }
    if (error !== undefined) {
      call.status = error.status;
      sendQueryError(res, error, namespace);
      return;
    }
    call.status = 200;
    const requestId = randomUUID();
    send(
      res,
      200,
      { 'content-type': 'text/xml', 'x-amzn-requestid': requestId },
      `<${action}Response xmlns="${namespace}"><${action}Result>${result}</${action}Result><ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${action}Response>`,
    );
  }

  // STS speaks AWS's query protocol: a form with Action and Version, answered in XML.
  async function handleSts(
    req: IncomingMessage,
    res: ServerResponse,
    form: URLSearchParams,
    time: number,
    realTime: number,
  ): Promise<void> {
    const operation = form.get('Action') ?? '';
    const call: CallRecord = {
      service: 'sts',
      operation,
      time,
      realTime,
      params: redact(Object.fromEntries(form)),
      status: 0,
    };
    record(call);
    const decision = faults.decide('sts', operation);
    if (decision.applied.length > 0) call.fault = decision.applied.join(',');
    if (decision.latencyMs > 0) await delay(decision.latencyMs);
    if (decision.fault?.kind === 'drop') {
      req.socket.destroy();
      return;
    }
    let answer: { status: number; body: string };
    if (decision.fault !== undefined) {
      const error = faultError(decision.fault);
      answer = {
        status: error.status,
        body: `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>${error.status >= 500 ? 'Receiver' : 'Sender'}</Type><Code>${error.type}</Code><Message>${error.message}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`,
      };
    } else if (options.sts === undefined) {
      answer = {
        status: 400,
        body: '<ErrorResponse><Error><Code>InvalidAction</Code><Message>This sandbox has no STS</Message></Error></ErrorResponse>',
      };
    } else {
      const credential = /Credential=([A-Z0-9]+)\//.exec(String(req.headers.authorization ?? ''));
      answer = options.sts.handle({
        params: form,
        ...(credential ? { accessKeyId: credential[1]! } : {}),
      });
    }
    call.status = answer.status;
    send(
      res,
      answer.status,
      { 'content-type': 'text/xml', 'x-amzn-requestid': randomUUID() },
      answer.body,
    );
  }

  async function handleGitHub(
    req: IncomingMessage,
    res: ServerResponse,
    raw: Buffer,
    time: number,
    realTime: number,
  ): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const method = (req.method ?? 'GET').toUpperCase();
    const operation = `${method} ${url.pathname}`;
    const text = raw.toString('utf8');
    let body: unknown;
    if (text !== '') {
      try {
        body = JSON.parse(text);
      } catch {
        body = text;
      }
    }
    const call: CallRecord = {
      service: 'github',
      operation,
      time,
      realTime,
      params: redact({ query: Object.fromEntries(url.searchParams), body }),
      status: 0,
    };
    record(call);
    const decision = faults.decide('github', operation);
    if (decision.applied.length > 0) call.fault = decision.applied.join(',');
    if (decision.latencyMs > 0) await delay(decision.latencyMs);
    if (decision.fault?.kind === 'drop') {
      req.socket.destroy();
      return;
    }
    let response: GitHubResponse;
    if (decision.fault !== undefined) response = githubFault(decision.fault);
    else if (options.github === undefined)
      response = { status: 404, body: { message: 'Not Found' } };
    else {
      try {
        scheduler.advance(clock.now());
        response = await options.github.handle({
          method,
          path: url.pathname,
          query: url.searchParams,
          headers: req.headers,
          body,
        });
      } catch (e) {
        response =
          e instanceof GitHubError
            ? {
                status: e.status,
                headers: e.headers,
                body: { message: e.message, documentation_url: 'https://docs.github.com/rest' },
              }
            : { status: 500, body: { message: `Simulator error: ${(e as Error).message}` } };
      }
    }
    call.status = response.status;
    const headers: Record<string, string> = {
      'x-github-request-id': randomUUID(),
      ...response.headers,
    };
    if (response.body === undefined || response.status === 204 || response.status === 304) {
      send(res, response.status, headers, '');
      return;
    }
    const payload =
      Buffer.isBuffer(response.body) || typeof response.body === 'string'
        ? response.body
        : JSON.stringify(response.body);
    send(
      res,
      response.status,
      { 'content-type': 'application/json; charset=utf-8', ...headers },
      payload,
    );
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) {
        sendAwsError(res, new AwsError('InternalFailure', String(error), 500));
      } else res.destroy();
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      const { port } = server.address() as AddressInfo;
      resolve({
        endpoint: `http://127.0.0.1:${port}`,
        port,
        server,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}

// ---------- assembling a sandbox ----------

export interface StartOptions {
  /** Port to listen on; default a random free one. */
  port?: number;
  /** Overrides the scenario's speed (simulated seconds per real second). */
  speed?: number;
  /** Overrides the scenario's start: simulated epoch ms when the clock starts. */
  startTime?: number;
  /** Start the OCI registry behind ECR; default: when the scenario has an `ecr` section. */
  registry?: boolean;
  /** Start the Actions cache service; default: when the scenario has an `actionsCache` section. */
  actionsCache?: boolean;
}

/** The modules another helper provides; passed in so the core can run without them. */
export interface SandboxDeps {
  startRegistry?: (opts?: StartRegistryOptions) => Promise<Registry>;
  createEcr?: (
    scenario: EcrScenario | undefined,
    ctx: AccountContext & { registry: Registry; record: (c: CallRecord) => void },
  ) => EcrModule;
  createGitHub?: (scenario: GitHubScenario | undefined, ctx: { clock: Clock }) => GitHubModule;
}

export interface Sandbox {
  /** `http://127.0.0.1:PORT`: AWS and GitHub API alike. */
  endpoint: string;
  port: number;
  /** Everything a child process needs to use the sandbox through the standard variables. */
  env: Record<string, string>;
  scenario: ResolvedScenario;
  clock: SandboxClock;
  scheduler: Scheduler;
  /** Every call, in arrival order. */
  calls: CallRecord[];
  /** Calls to one operation (`UpdateService`, `GET /repos/acme/web/issues`), optionally of one service. */
  callsTo(operation: string, service?: ServiceName): CallRecord[];
  ecs: EcsModule;
  codedeploy: CodeDeployModule;
  /** CloudWatch Logs, where standalone tasks' awslogs output lands. */
  logs: LogsModule;
  elbv2: Elbv2Module;
  ecr?: EcrModule;
  github?: GitHubModule;
  registry?: Registry;
  /** The GitHub Actions cache service; its variables are in `env`. */
  actionsCache?: ActionsCacheService;
  faults: { set(list: FaultSpec[]): void; clear(): void; readonly list: FaultSpec[] };
  /** Runs every scheduled state change due by now (reads of `.state` do this too). */
  advance(): void;
  stop(): Promise<void>;
}

/** The long-lived key of the sandbox's own IAM user, which every simulated service accepts. */
const SANDBOX_ACCESS_KEY_ID = 'AKIASANDBOXEXAMPLE00';

const live = new Set<{
  server: SandboxServer;
  registry?: Registry;
  actionsCache?: ActionsCacheService;
}>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // 'exit' handlers cannot wait: close sockets now and let the registry kill its process.
  process.once('exit', () => {
    for (const entry of live) {
      entry.server.server.closeAllConnections();
      entry.server.server.close();
      void entry.registry?.stop();
      entry.actionsCache?.stopNow();
    }
  });
}

export async function startSandbox(
  input: Scenario | string,
  options: StartOptions = {},
  deps: SandboxDeps = {},
): Promise<Sandbox> {
  const scenario = resolveScenario(
    typeof input === 'string' ? loadScenario(input) : validateScenario(input),
    {
      ...(options.speed !== undefined ? { speed: options.speed } : {}),
      ...(options.startTime !== undefined ? { startTime: options.startTime } : {}),
    },
  );
  const clock = createClock({
    speed: scenario.speed,
    ...(scenario.startTime !== undefined ? { start: scenario.startTime } : {}),
  });
  const scheduler = new Scheduler(clock);
  const random = seededRandom(scenario.seed);
  const calls: CallRecord[] = [];
  const record = (call: CallRecord) => {
    calls.push(call);
  };
  const faults = new Faults(scenario.seed ^ 0x5eed, scenario.faults ?? []);
  const ctx: SimContext = {
    region: scenario.region,
    accountId: scenario.accountId,
    clock,
    scheduler,
    random,
  };
  const ecs = createEcs(scenario.ecs, ctx);
  ecs.setup();
  const codedeploy = createCodeDeploy(scenario.codedeploy, { ...ctx, ecs });
  codedeploy.setup();
  const logs = createLogs(scenario.logs, ctx);
  ecs.runTasks.connect({ logs });
  const elbv2 = createElbv2(scenario.elbv2, {
    ...ctx,
    ...(scenario.ecs ? { ecs: scenario.ecs } : {}),
    ...(scenario.codedeploy ? { codedeploy: scenario.codedeploy } : {}),
  });

  let registry: Registry | undefined;
  let ecr: EcrModule | undefined;
  let server: SandboxServer | undefined;
  let actionsCache: ActionsCacheService | undefined;
  try {
    if ((options.registry ?? scenario.ecr !== undefined) && deps.startRegistry) {
      registry = await deps.startRegistry({ record, clock, auth: true });
    }
    if (registry !== undefined && deps.createEcr) {
      ecr = deps.createEcr(scenario.ecr, {
        region: scenario.region,
        accountId: scenario.accountId,
        clock,
        registry,
        record,
      });
      await ecr.setup();
    }
    if (registry !== undefined) ecs.runTasks.connect({ images: registryImages(registry) });
    if (options.actionsCache ?? scenario.actionsCache !== undefined) {
      actionsCache = await startActionsCache(scenario.actionsCache, { clock, faults, record });
    }
    const github = deps.createGitHub?.(scenario.github, { clock });
    const sts = createSts(scenario.sts, {
      region: scenario.region,
      accountId: scenario.accountId,
      clock,
      userAccessKeyId: SANDBOX_ACCESS_KEY_ID,
    });
    server = await startServer({
      ...(options.port !== undefined ? { port: options.port } : {}),
      clock,
      scheduler,
      faults,
      aws: [ecs, codedeploy, logs, ...(ecr !== undefined ? [ecr] : [])],
      query: [elbv2],
      sts,
      ...(github !== undefined ? { github } : {}),
      record,
    });
    const entry = {
      server,
      ...(registry !== undefined ? { registry } : {}),
      ...(actionsCache !== undefined ? { actionsCache } : {}),
    };
    live.add(entry);
    installExitHook();
    const endpoint = server.endpoint;
    const env: Record<string, string> = {
      AWS_ENDPOINT_URL: endpoint,
      AWS_REGION: scenario.region,
      AWS_DEFAULT_REGION: scenario.region,
      AWS_ACCESS_KEY_ID: SANDBOX_ACCESS_KEY_ID,
      AWS_SECRET_ACCESS_KEY: 'sandbox-secret-access-key-not-a-real-one',
      AWS_EC2_METADATA_DISABLED: 'true',
      GITHUB_API_URL: endpoint,
      GITHUB_GRAPHQL_URL: `${endpoint}/graphql`,
      GITHUB_TOKEN: scenario.github?.token ?? 'ghs_sandboxTokenNotARealOne000000000000',
      // The GitHub simulator serves one repository; without a scenario it is sandbox/app.
      GITHUB_REPOSITORY: scenario.github?.repository ?? 'sandbox/app',
      SANDBOX_ENDPOINT: endpoint,
      SANDBOX_ACCOUNT_ID: scenario.accountId,
      ...(registry !== undefined ? { SANDBOX_REGISTRY: registry.host } : {}),
      ...actionsCache?.env,
    };
    const running = server;
    let stopped: Promise<void> | undefined;
    return {
      endpoint,
      port: server.port,
      env,
      scenario,
      clock,
      scheduler,
      calls,
      callsTo: (operation, service) =>
        calls.filter(
          (c) => c.operation === operation && (service === undefined || c.service === service),
        ),
      ecs,
      codedeploy,
      logs,
      elbv2,
      ...(ecr !== undefined ? { ecr } : {}),
      ...(github !== undefined ? { github } : {}),
      ...(registry !== undefined ? { registry } : {}),
      ...(actionsCache !== undefined ? { actionsCache } : {}),
      faults: {
        set: (list) => faults.set(list),
        clear: () => faults.clear(),
        get list() {
          return faults.list;
        },
      },
      advance: () => scheduler.advance(clock.now()),
      stop() {
        stopped ??= (async () => {
          live.delete(entry);
          await running.close();
          await registry?.stop();
          await actionsCache?.stop();
        })();
        return stopped;
      },
    };
  } catch (error) {
    await server?.close();
    await registry?.stop();
    await actionsCache?.stop();
    throw error;
  }
}
