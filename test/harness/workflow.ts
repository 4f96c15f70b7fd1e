// Runs a reusable workflow (`on: workflow_call`) the way GitHub would, against the sandbox: jobs
// in `needs` order, `if:` conditions, `${{ … }}` expressions over inputs, github, job, env,
// steps, needs and jobs, `run:` scripts with bash, and this repository's actions through the
// harness (runAction), so the built bundles pass their outputs to one another exactly as they
// would on a runner. Third-party actions are stood in for by functions keyed by action name
// (sandboxStandIns gives the ones our workflows use); a step whose action has no stand-in fails.
//
// The runner is a self-hosted one: one workspace, RUNNER_TEMP and tool cache per job, no
// Actions cache service, jobs one at a time. A `post:` step runs right after its main step.
//
// It runs on the sandbox's clock, as does every process it starts (test/sandbox/runner-clock.mjs
// and the `date` runner tool): step and job times, the jobs API, the actions' own durations and
// the timestamps AWS hands back are one clock, however fast the sandbox runs.
import { spawn, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { runnerClockEnv } from '../sandbox/clock.ts';
import type { GitHubJobScenario } from '../sandbox/github.ts';
import type { Sandbox } from '../sandbox/index.ts';
import type { EcrImageScenario } from '../sandbox/services/ecr.ts';
import { forgeGitHubToken } from '../sandbox/services/sts.ts';
import {
  parseFileCommands,
  parseStdoutCommands,
  readActionMetadata,
  repoRoot,
  runAction,
} from './index.ts';

// ---------------------------------------------------------------------------------------------
// Expressions

type Value = null | boolean | number | string | Value[] | { [key: string]: Value };

/** What `success()`, `failure()` and `always()` see where an expression is evaluated. */
export interface StatusContext {
  failed: boolean;
}

export interface ExpressionScope {
  contexts: Record<string, Value>;
  status?: StatusContext;
}

type Token =
  | { kind: 'num'; value: number }
  | { kind: 'str'; value: string }
  | { kind: 'id'; value: string }
  | { kind: 'op'; value: string };

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const c = source[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (c === "'") {
      let value = '';
      i++;
      for (;;) {
        if (i >= source.length) throw new Error(`unterminated string in: ${source}`);
        if (source[i] === "'") {
          if (source[i + 1] === "'") {
            value += "'";
            i += 2;
            continue;
          }
          i++;
          break;
        }
        value += source[i++];
      }
      tokens.push({ kind: 'str', value });
    } else if (/[0-9]/.test(c) || (c === '-' && /[0-9]/.test(source[i + 1] ?? ''))) {
      const m = /^-?(0x[0-9a-f]+|[0-9]+(\.[0-9]+)?(e[+-]?[0-9]+)?)/i.exec(source.slice(i))!;
      tokens.push({ kind: 'num', value: Number(m[0]) });
      i += m[0].length;
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_-]*/.exec(source.slice(i))!;
      tokens.push({ kind: 'id', value: m[0] });
      i += m[0].length;
    } else {
      const two = source.slice(i, i + 2);
      if (['==', '!=', '&&', '||', '<=', '>='].includes(two)) {
        tokens.push({ kind: 'op', value: two });
        i += 2;
      } else if ('()[].,!<>*'.includes(c)) {
        tokens.push({ kind: 'op', value: c });
        i++;
      } else {
        throw new Error(`unexpected '${c}' in expression: ${source}`);
      }
    }
  }
  return tokens;
}

function truthy(v: Value): boolean {
  if (v === null) return false;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v !== 0 && !Number.isNaN(v);
  if (typeof v === 'string') return v !== '';
  return true;
}

function toNumber(v: Value): number {
  if (v === null) return 0;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'number') return v;
  if (typeof v === 'string') return v.trim() === '' ? 0 : Number(v);
  return Number.NaN;
}

export function stringify(v: Value): string {
  if (v === null) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean' || typeof v === 'number') return String(v);
  return JSON.stringify(v, null, 2);
}

/** GitHub's loose equality: strings ignore case, mixed types compare as numbers. */
function looseEquals(a: Value, b: Value): boolean {
  if (typeof a === 'string' && typeof b === 'string') return a.toLowerCase() === b.toLowerCase();
  if (a === null && b === null) return true;
  const objectA = typeof a === 'object' && a !== null;
  const objectB = typeof b === 'object' && b !== null;
  if (objectA || objectB) return a === b;
  return toNumber(a) === toNumber(b);
}

function property(target: Value, name: string): Value {
  if (target === null || typeof target !== 'object') return null;
  if (Array.isArray(target)) {
    const index = Number(name);
    return Number.isInteger(index) ? (target[index] ?? null) : null;
  }
  if (name in target) return target[name] ?? null;
  const key = Object.keys(target).find((k) => k.toLowerCase() === name.toLowerCase());
  return key === undefined ? null : (target[key] ?? null);
}

const STATUS_FUNCTIONS = ['success', 'failure', 'always', 'cancelled'];

class Parser {
  private pos = 0;
  private readonly tokens: Token[];
  private readonly scope: ExpressionScope;
  private readonly source: string;

  constructor(source: string, scope: ExpressionScope) {
    this.source = source;
    this.tokens = tokenize(source);
    this.scope = scope;
  }

  evaluate(): Value {
    const value = this.or();
    if (this.pos < this.tokens.length) this.fail('unexpected trailing tokens');
    return value;
  }

  private fail(problem: string): never {
    throw new Error(`${problem} in expression: ${this.source}`);
  }

  private peek(value: string): boolean {
    const t = this.tokens[this.pos];
    return t?.kind === 'op' && t.value === value;
  }

  private expect(value: string): void {
    if (!this.peek(value)) this.fail(`expected '${value}'`);
    this.pos++;
  }

  // `&&` and `||` return one of their operands, as in GitHub (and JavaScript).
  private or(): Value {
    let left = this.and();
    while (this.peek('||')) {
      this.pos++;
      const right = this.and();
      left = truthy(left) ? left : right;
    }
    return left;
  }

  private and(): Value {
    let left = this.equality();
    while (this.peek('&&')) {
      this.pos++;
      const right = this.equality();
      left = truthy(left) ? right : left;
    }
    return left;
  }

  private equality(): Value {
    let left = this.comparison();
    while (this.peek('==') || this.peek('!=')) {
      const op = (this.tokens[this.pos++] as { value: string }).value;
      const right = this.comparison();
      left = op === '==' ? looseEquals(left, right) : !looseEquals(left, right);
    }
    return left;
  }

  private comparison(): Value {
    let left = this.unary();
    while (this.peek('<') || this.peek('<=') || this.peek('>') || this.peek('>=')) {
      const op = (this.tokens[this.pos++] as { value: string }).value;
      const a = toNumber(left);
      const b = toNumber(this.unary());
      left = op === '<' ? a < b : op === '<=' ? a <= b : op === '>' ? a > b : a >= b;
    }
    return left;
  }

  private unary(): Value {
    if (this.peek('!')) {
      this.pos++;
      return !truthy(this.unary());
    }
    return this.postfix();
  }

  private postfix(): Value {
    let value = this.primary();
    for (;;) {
      if (this.peek('.')) {
        this.pos++;
        const t = this.tokens[this.pos++];
        if (t?.kind !== 'id') this.fail('expected a property name');
        value = property(value, t.value);
      } else if (this.peek('[')) {
        this.pos++;
        const key = this.or();
        this.expect(']');
        value = property(value, stringify(key));
      } else {
        return value;
      }
    }
  }

  private primary(): Value {
    const t = this.tokens[this.pos++];
    if (!t) this.fail('unexpected end');
    if (t.kind === 'num' || t.kind === 'str') return t.value;
    if (t.kind === 'op') {
      if (t.value !== '(') this.fail(`unexpected '${t.value}'`);
      const inner = this.or();
      this.expect(')');
      return inner;
    }
    if (t.value === 'true') return true;
    if (t.value === 'false') return false;
    if (t.value === 'null') return null;
    if (this.peek('(')) {
      this.pos++;
      const args: Value[] = [];
      while (!this.peek(')')) {
        args.push(this.or());
        if (!this.peek(')')) this.expect(',');
      }
      this.pos++;
      return this.call(t.value, args);
    }
    const contexts = this.scope.contexts;
    if (!(t.value in contexts)) this.fail(`unknown context '${t.value}'`);
    return contexts[t.value] ?? null;
  }

  private call(name: string, args: Value[]): Value {
    const failed = this.scope.status?.failed ?? false;
    const text = args.map(stringify);
    switch (name) {
      case 'success':
        return !failed;
      case 'failure':
        return failed;
      case 'always':
        return true;
      case 'cancelled':
        return false;
      case 'contains': {
        const [haystack, needle] = args;
        if (Array.isArray(haystack)) return haystack.some((h) => looseEquals(h, needle ?? null));
        return text[0]!.toLowerCase().includes(text[1]!.toLowerCase());
      }
      case 'startsWith':
        return text[0]!.toLowerCase().startsWith(text[1]!.toLowerCase());
      case 'endsWith':
        return text[0]!.toLowerCase().endsWith(text[1]!.toLowerCase());
      case 'format':
        return text[0]!.replace(/\{(\d+)\}/g, (_, n: string) => text[Number(n) + 1] ?? '');
      case 'join': {
        const [list, separator] = args;
        return Array.isArray(list)
          ? list.map(stringify).join(separator === undefined ? ',' : stringify(separator))
          : text[0]!;
      }
      case 'toJSON':
        return JSON.stringify(args[0] ?? null, null, 2);
      case 'fromJSON':
        return JSON.parse(text[0]!) as Value;
      default:
        this.fail(`unsupported function ${name}()`);
    }
  }
}

export function evaluate(expression: string, scope: ExpressionScope): Value {
  return new Parser(expression, scope).evaluate();
}

/** Replaces each `${{ … }}` in a string with its value, as the runner does for `with:`, `env:`, `run:`. */
export function interpolate(text: string, scope: ExpressionScope): string {
  let out = '';
  let i = 0;
  for (;;) {
    const start = text.indexOf('${{', i);
    if (start < 0) return out + text.slice(i);
    out += text.slice(i, start);
    let j = start + 3;
    let quoted = false;
    while (j < text.length && (quoted || text.slice(j, j + 2) !== '}}')) {
      if (text[j] === "'") quoted = !quoted;
      j++;
    }
    if (j >= text.length) throw new Error(`unterminated \${{ in: ${text}`);
    out += stringify(evaluate(text.slice(start + 3, j), scope));
    i = j + 2;
  }
}

/** An `if:` condition: `${{ }}` optional, and `success() &&` implied without a status function. */
export function condition(value: unknown, scope: ExpressionScope): boolean {
  if (value === undefined || value === null) return !(scope.status?.failed ?? false);
  if (typeof value === 'boolean') return value && !(scope.status?.failed ?? false);
  let expr = String(value).trim();
  const wrapped = /^\$\{\{([\s\S]*)\}\}$/.exec(expr);
  if (wrapped) expr = wrapped[1]!;
  const usesStatus = new RegExp(`\\b(${STATUS_FUNCTIONS.join('|')})\\s*\\(`).test(expr);
  return truthy(evaluate(usesStatus ? expr : `success() && (${expr})`, scope));
}

// ---------------------------------------------------------------------------------------------
// Workflow files

interface StepSpec {
  id?: string;
  name?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, unknown>;
  if?: unknown;
  'continue-on-error'?: boolean;
  'working-directory'?: string;
  shell?: string;
}

interface JobSpec {
  name?: string;
  needs?: string | string[];
  if?: unknown;
  'runs-on'?: unknown;
  environment?: string | { name: string; url?: string };
  concurrency?: string | { group: string; 'cancel-in-progress'?: boolean | string };
  permissions?: Record<string, string> | string;
  outputs?: Record<string, string>;
  env?: Record<string, unknown>;
  steps?: StepSpec[];
  strategy?: unknown;
  uses?: string;
}

interface InputSpec {
  description?: string;
  type?: 'string' | 'boolean' | 'number';
  required?: boolean;
  default?: unknown;
}

export interface WorkflowFile {
  name?: string;
  on: {
    workflow_call?: {
      inputs?: Record<string, InputSpec>;
      outputs?: Record<string, { description?: string; value: string }>;
      secrets?: Record<string, unknown>;
    };
  };
  permissions?: Record<string, string> | string;
  env?: Record<string, unknown>;
  jobs: Record<string, JobSpec>;
}

export function readWorkflow(file: string): WorkflowFile {
  const abs = path.isAbsolute(file) ? file : path.join(repoRoot, file);
  const doc = parseYaml(readFileSync(abs, 'utf8')) as WorkflowFile;
  if (!doc?.on?.workflow_call)
    throw new Error(`${file} is not a reusable workflow (on: workflow_call)`);
  return doc;
}

/** Jobs in an order where every job comes after the jobs it needs. */
export function jobOrder(jobs: Record<string, JobSpec>): string[] {
  const order: string[] = [];
  const visiting = new Set<string>();
  const visit = (id: string) => {
    if (order.includes(id)) return;
    if (visiting.has(id)) throw new Error(`jobs.${id}: needs form a cycle`);
    const job = jobs[id];
    if (!job) throw new Error(`a job needs '${id}', which does not exist`);
    visiting.add(id);
    for (const need of needsOf(job)) visit(need);
    visiting.delete(id);
    order.push(id);
  };
  for (const id of Object.keys(jobs)) visit(id);
  return order;
}

function needsOf(job: JobSpec): string[] {
  if (job.needs === undefined) return [];
  return Array.isArray(job.needs) ? job.needs : [job.needs];
}

// ---------------------------------------------------------------------------------------------
// Running

export type Outcome = 'success' | 'failure' | 'skipped';

export interface StandInStep {
  /** `owner/repo` or `owner/repo/path`, without the ref. */
  action: string;
  ref: string;
  with: Record<string, string>;
  /** The environment the action would run with (job env, exported env, step env). */
  env: Record<string, string>;
  job: {
    id: string;
    permissions: Record<string, string>;
    workspace: string;
    runnerTemp: string;
    /** The job's GitHub environment, which names it in its OIDC token. */
    environment?: string;
  };
  contexts: Record<string, Value>;
  log(line: string): void;
}

export interface StandInResult {
  outputs?: Record<string, string>;
  /** Variables exported to the later steps of the job (GITHUB_ENV). */
  env?: Record<string, string>;
  summary?: string;
}

/** Stands in for a third-party action; throwing fails the step with the error's message. */
export type StandIn = (step: StandInStep) => Promise<StandInResult | undefined>;

export interface StepRun {
  id?: string;
  name: string;
  /** `run` for scripts, else the `uses:` value. */
  uses: string;
  with: Record<string, string>;
  outcome: Outcome;
  conclusion: Outcome;
  outputs: Record<string, string>;
  log: string;
  summary: string;
  /** The step's warning annotations, as the run's page lists them. */
  warnings: string[];
  error?: string;
  /** Simulated milliseconds (the sandbox's clock). */
  durationMs: number;
}

export interface JobRun {
  id: string;
  name: string;
  result: Outcome;
  environment?: string;
  concurrency?: { group: string; cancelInProgress: boolean };
  permissions: Record<string, string>;
  steps: StepRun[];
  outputs: Record<string, string>;
}

export interface WorkflowRun {
  conclusion: 'success' | 'failure';
  jobs: Record<string, JobRun>;
  outputs: Record<string, string>;
  /** Every step summary of the run, in order (the run's summary page). */
  summary: string;
  /** The first failed step (continue-on-error steps excluded). */
  failure?: { job: string; step: string; message: string };
}

export type WorkflowEvent =
  | { type: 'job-waiting'; job: JobRun; environment: string; reviewer: string; seconds: number }
  | { type: 'job-start'; job: JobRun }
  | { type: 'job-end'; job: JobRun }
  | { type: 'step-start'; job: JobRun; name: string; uses: string }
  | { type: 'step-end'; job: JobRun; step: StepRun };

export interface GitHubContextInput {
  repository: string;
  sha: string;
  ref: string;
  event_name: string;
  event?: Record<string, Value>;
  actor?: string;
  run_id?: number;
  workflow?: string;
}

export interface RunWorkflowOptions {
  /** Path of the workflow file (relative to the repository root or absolute). */
  workflow: string;
  inputs?: Record<string, string | number | boolean>;
  github: GitHubContextInput;
  /** What `job.workflow_repository` and `job.workflow_sha` are: the workflow's own repository. */
  workflowRepository: string;
  workflowSha: string;
  /** The job that calls the workflow in the caller: GitHub names jobs `<caller job> / <job>`. */
  callerJob?: string;
  sandbox: Sandbox;
  standIns: Record<string, StandIn>;
  /** Extra environment of the runner machine, seen by every step. */
  env?: Record<string, string>;
  /** Directories put first on the runner's PATH (stand-ins for the runner's tools). */
  path?: string[];
  onEvent?: (event: WorkflowEvent) => void;
  /** Real milliseconds a step may take. Default 300 s. */
  stepTimeoutMs?: number;
  /** The caller's `secrets:` (checked against the workflow's declared secrets). */
  secrets?: Record<string, string>;
  /**
   * Environments with a required reviewer: a job in one waits this many simulated seconds for
   * the reviewer's approval before it starts, as GitHub holds it.
   */
  approvals?: Record<string, { reviewer: string; afterSeconds: number }>;
}

export const RUNNER_TOOLS = path.join(repoRoot, 'test', 'workflows', 'runner-tools');

/**
 * deploy.yml's caller inputs for the sandbox's `web` service (scenario web-bluegreen, whose STS
 * trusts these roles as docs/iam says).
 */
export const SANDBOX_DEPLOY_INPUTS = {
  environment: 'production',
  'aws-region': 'us-east-1',
  'build-role-to-assume': 'arn:aws:iam::123456789012:role/web-build',
  'deploy-role-to-assume': 'arn:aws:iam::123456789012:role/web-deploy-production',
  'ecr-repository': 'web',
  'task-definition-family': 'web',
  'container-name': 'web',
  cluster: 'prod',
  service: 'web',
} as const;

// Workspaces and service repositories stay until the process exits, so a test can read what a
// step wrote after the run.
const scratchDirs = new Set<string>();
process.on('exit', () => {
  for (const dir of scratchDirs) rmSync(dir, { recursive: true, force: true });
});

function scratchDir(prefix: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  scratchDirs.add(dir);
  return dir;
}

function permissionsOf(
  spec: Record<string, string> | string | undefined,
): Record<string, string> | undefined {
  if (spec === undefined) return undefined;
  if (typeof spec === 'string') {
    const level = spec === 'write-all' ? 'write' : spec === 'read-all' ? 'read' : 'none';
    return Object.fromEntries(
      [
        'actions',
        'contents',
        'deployments',
        'id-token',
        'issues',
        'pull-requests',
        'security-events',
      ].map((k) => [k, level]),
    );
  }
  return { ...spec };
}

function inheritedEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value === undefined || /^(AWS_|GITHUB_|INPUT_|STATE_|RUNNER_|ACTIONS_)/.test(key)) continue;
    env[key] = value;
  }
  return env;
}

function stringMap(
  record: Record<string, unknown> | undefined,
  scope: ExpressionScope,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(record ?? {})) {
    out[key] = typeof value === 'string' ? interpolate(value, scope) : stringify(value as Value);
  }
  return out;
}

function resolveSecrets(
  workflow: WorkflowFile,
  given: Record<string, string>,
  file: string,
): Record<string, string> {
  const declared = workflow.on.workflow_call?.secrets ?? {};
  for (const name of Object.keys(given)) {
    if (!(name in declared)) throw new Error(`${file}: secret '${name}' is not defined`);
  }
  return given;
}

function resolveInputs(
  workflow: WorkflowFile,
  given: Record<string, string | number | boolean>,
  file: string,
): Record<string, Value> {
  const specs = workflow.on.workflow_call?.inputs ?? {};
  for (const name of Object.keys(given)) {
    if (!(name in specs)) throw new Error(`${file}: input '${name}' is not defined`);
  }
  const inputs: Record<string, Value> = {};
  for (const [name, spec] of Object.entries(specs)) {
    if (given[name] !== undefined) inputs[name] = given[name];
    else if (spec.required) throw new Error(`${file}: input required and not supplied: ${name}`);
    else inputs[name] = (spec.default as Value) ?? (spec.type === 'boolean' ? false : '');
  }
  return inputs;
}

/** What a job accumulates while its steps run. */
interface JobState {
  run: JobRun;
  workspace: string;
  runnerTemp: string;
  exportedEnv: Record<string, string>;
  extraPath: string[];
  steps: Record<string, Value>;
  failed: boolean;
}

export async function runWorkflow(options: RunWorkflowOptions): Promise<WorkflowRun> {
  const workflow = readWorkflow(options.workflow);
  const inputs = resolveInputs(workflow, options.inputs ?? {}, options.workflow);
  const { sandbox } = options;
  const { clock } = sandbox;
  const base = scratchDir('workflow-');
  const toolCache = path.join(base, 'tool-cache');
  mkdirSync(toolCache, { recursive: true });
  const runId = options.github.run_id ?? 1001;
  const eventPath = path.join(base, 'event.json');
  writeFileSync(eventPath, JSON.stringify(options.github.event ?? {}));
  const ref = options.github.ref;
  const refName = ref
    .replace(/^refs\/(heads|tags)\//, '')
    .replace(/^refs\/pull\/(\d+)\/merge$/, '$1/merge');
  const github: Record<string, Value> = {
    repository: options.github.repository,
    repository_owner: options.github.repository.split('/')[0]!,
    sha: options.github.sha,
    ref,
    ref_name: refName,
    ref_type: ref.startsWith('refs/tags/') ? 'tag' : 'branch',
    event_name: options.github.event_name,
    event: options.github.event ?? {},
    actor: options.github.actor ?? 'octocat',
    run_id: String(runId),
    run_number: '1',
    run_attempt: '1',
    workflow: options.github.workflow ?? workflow.name ?? path.basename(options.workflow),
    server_url: 'https://github.com',
    api_url: sandbox.env.GITHUB_API_URL ?? '',
    graphql_url: sandbox.env.GITHUB_GRAPHQL_URL ?? '',
    token: sandbox.env.GITHUB_TOKEN ?? '',
    head_ref: '',
    base_ref: '',
  };
  const inherited = inheritedEnv();
  const machineEnv: Record<string, string> = {
    ...inherited,
    ...runnerClockEnv(clock, inherited.NODE_OPTIONS),
    PATH: [...(options.path ?? []), process.env.PATH ?? ''].join(path.delimiter),
    // The runner reaches "AWS" through the sandbox's endpoint; credentials come only from
    // configure-aws-credentials.
    AWS_ENDPOINT_URL: sandbox.env.AWS_ENDPOINT_URL ?? sandbox.endpoint,
    AWS_EC2_METADATA_DISABLED: 'true',
    ...(options.env ?? {}),
  };

  const clockIso = () => new Date(clock.now()).toISOString();
  const secrets = {
    GITHUB_TOKEN: String(github.token),
    ...resolveSecrets(workflow, options.secrets ?? {}, options.workflow),
  };
  // The run as the jobs API shows it while it runs: deploy-budget reads its jobs' times.
  const apiJobs: GitHubJobScenario[] = [];
  sandbox.github?.state.workflowRuns.set(runId, {
    id: runId,
    name: String(github.workflow),
    head_branch: refName,
    head_sha: options.github.sha,
    event: options.github.event_name,
    status: 'in_progress',
    run_started_at: clockIso(),
    jobs: apiJobs,
  });

  const run: WorkflowRun = { conclusion: 'success', jobs: {}, outputs: {}, summary: '' };
  const summaries: string[] = [];
  const jobResults: Record<string, Value> = {};

  for (const jobId of jobOrder(workflow.jobs)) {
    const spec = workflow.jobs[jobId]!;
    if (spec.uses) throw new Error(`jobs.${jobId}: nested reusable workflows are not supported`);
    if (spec.strategy) throw new Error(`jobs.${jobId}: strategy/matrix is not supported`);
    const needs: Record<string, Value> = {};
    for (const need of needsOf(spec)) needs[need] = jobResults[need] ?? null;
    const needsFailed = needsOf(spec).some(
      (n) => (jobResults[n] as { result: string } | undefined)?.result !== 'success',
    );
    const jobScope: ExpressionScope = {
      contexts: { github, inputs, needs, vars: {}, secrets },
      status: { failed: needsFailed },
    };
    const permissions =
      permissionsOf(spec.permissions) ?? permissionsOf(workflow.permissions) ?? {};
    const jobRun: JobRun = {
      id: jobId,
      name: spec.name ? interpolate(spec.name, jobScope) : jobId,
      result: 'skipped',
      permissions,
      steps: [],
      outputs: {},
    };
    run.jobs[jobId] = jobRun;
    if (!condition(spec.if, jobScope)) {
      jobResults[jobId] = { result: 'skipped', outputs: {} };
      options.onEvent?.({ type: 'job-end', job: jobRun });
      continue;
    }
    if (spec.environment !== undefined) {
      jobRun.environment = interpolate(
        typeof spec.environment === 'string' ? spec.environment : spec.environment.name,
        jobScope,
      );
    }
    if (spec.concurrency !== undefined) {
      const c = spec.concurrency;
      jobRun.concurrency =
        typeof c === 'string'
          ? { group: interpolate(c, jobScope), cancelInProgress: false }
          : {
              group: interpolate(c.group, jobScope),
              cancelInProgress: String(c['cancel-in-progress'] ?? false) === 'true',
            };
    }

    const ready = clockIso();
    const approval = jobRun.environment ? options.approvals?.[jobRun.environment] : undefined;
    if (approval && jobRun.environment) {
      options.onEvent?.({
        type: 'job-waiting',
        job: jobRun,
        environment: jobRun.environment,
        reviewer: approval.reviewer,
        seconds: approval.afterSeconds,
      });
      await clock.sleep(approval.afterSeconds * 1000);
    }

    const jobDir = mkdtempSync(path.join(base, `${jobId}-`));
    const state: JobState = {
      run: jobRun,
      workspace: path.join(jobDir, 'workspace'),
      runnerTemp: path.join(jobDir, 'temp'),
      exportedEnv: {},
      extraPath: [],
      steps: {},
      failed: false,
    };
    mkdirSync(state.workspace, { recursive: true });
    mkdirSync(state.runnerTemp, { recursive: true });
    const apiJob: GitHubJobScenario = {
      id: 5000 + apiJobs.length,
      name: options.callerJob ? `${options.callerJob} / ${jobRun.name}` : jobRun.name,
      status: 'in_progress',
      conclusion: null,
      created_at: ready,
      started_at: clockIso(),
      completed_at: null,
    };
    apiJobs.push(apiJob);
    options.onEvent?.({ type: 'job-start', job: jobRun });

    const jobContext: Record<string, Value> = {
      status: 'success',
      workflow_repository: options.workflowRepository,
      workflow_sha: options.workflowSha,
      workflow_ref: `${options.workflowRepository}/${options.workflow}@${options.workflowSha}`,
      workflow_file_path: options.workflow,
    };
    const runnerContext: Record<string, Value> = {
      os: 'Linux',
      arch: 'X64',
      temp: state.runnerTemp,
      tool_cache: toolCache,
      environment: 'self-hosted',
    };
    const githubForJob = { ...github, workspace: state.workspace, job: jobId };
    const workflowEnv = stringMap(workflow.env, { contexts: { github: githubForJob, inputs } });
    const jobEnv = {
      ...workflowEnv,
      ...stringMap(spec.env, {
        contexts: { github: githubForJob, inputs, needs, env: workflowEnv, runner: runnerContext },
      }),
    };

    for (const [index, step] of (spec.steps ?? []).entries()) {
      const env = { ...jobEnv, ...state.exportedEnv };
      const scope: ExpressionScope = {
        contexts: {
          github: githubForJob,
          inputs,
          needs,
          job: { ...jobContext, status: state.failed ? 'failure' : 'success' },
          runner: runnerContext,
          env,
          steps: state.steps,
          vars: {},
          secrets,
        },
        status: { failed: state.failed },
      };
      const uses = step.uses ?? 'run';
      const name = step.name
        ? interpolate(step.name, scope)
        : step.uses
          ? `Run ${step.uses}`
          : `Run ${String(step.run).split('\n')[0]}`;
      const stepRun: StepRun = {
        ...(step.id !== undefined ? { id: step.id } : {}),
        name,
        uses,
        with: {},
        outcome: 'skipped',
        conclusion: 'skipped',
        outputs: {},
        log: '',
        summary: '',
        warnings: [],
        durationMs: 0,
      };
      const record = () => {
        jobRun.steps.push(stepRun);
        if (step.id) {
          state.steps[step.id] = {
            outputs: stepRun.outputs,
            outcome: stepRun.outcome,
            conclusion: stepRun.conclusion,
          };
        }
      };
      if (!condition(step.if, scope)) {
        record();
        options.onEvent?.({ type: 'step-end', job: jobRun, step: stepRun });
        continue;
      }
      options.onEvent?.({ type: 'step-start', job: jobRun, name, uses });
      const started = clock.now();
      try {
        const stepEnv = { ...env, ...stringMap(step.env, scope) };
        const withInputs = stringMap(step.with, scope);
        stepRun.with = withInputs;
        const runnerEnv: Record<string, string> = {
          ...machineEnv,
          PATH: [...state.extraPath, machineEnv.PATH].join(path.delimiter),
          CI: 'true',
          GITHUB_ACTIONS: 'true',
          GITHUB_WORKSPACE: state.workspace,
          GITHUB_REPOSITORY: options.github.repository,
          GITHUB_REPOSITORY_OWNER: String(github.repository_owner),
          GITHUB_SHA: options.github.sha,
          GITHUB_REF: ref,
          GITHUB_REF_NAME: refName,
          GITHUB_REF_TYPE: String(github.ref_type),
          GITHUB_EVENT_NAME: options.github.event_name,
          GITHUB_EVENT_PATH: eventPath,
          GITHUB_RUN_ID: String(runId),
          GITHUB_RUN_ATTEMPT: '1',
          GITHUB_RUN_NUMBER: '1',
          GITHUB_JOB: jobId,
          GITHUB_WORKFLOW: String(github.workflow),
          GITHUB_ACTOR: String(github.actor),
          GITHUB_SERVER_URL: 'https://github.com',
          GITHUB_API_URL: String(github.api_url),
          GITHUB_GRAPHQL_URL: String(github.graphql_url),
          RUNNER_TEMP: state.runnerTemp,
          RUNNER_TOOL_CACHE: toolCache,
          RUNNER_OS: 'Linux',
          RUNNER_ARCH: 'X64',
          RUNNER_ENVIRONMENT: 'self-hosted',
          ...stepEnv,
        };
        if (step.run !== undefined) {
          const script = interpolate(step.run, scope);
          await runScript(script, index, step, runnerEnv, state, stepRun, options);
        } else if (step.uses?.startsWith('./')) {
          await runLocalAction(step.uses, withInputs, scope, runnerEnv, state, stepRun, options);
        } else if (step.uses) {
          await runStandIn(
            step.uses,
            withInputs,
            scope,
            runnerEnv,
            stepEnv,
            state,
            stepRun,
            options,
          );
        } else {
          throw new Error('a step needs run: or uses:');
        }
        stepRun.outcome = 'success';
      } catch (error) {
        stepRun.outcome = 'failure';
        stepRun.error = error instanceof Error ? error.message : String(error);
      }
      stepRun.durationMs = clock.now() - started;
      stepRun.conclusion =
        stepRun.outcome === 'failure' && step['continue-on-error'] === true
          ? 'success'
          : stepRun.outcome;
      if (stepRun.conclusion === 'failure') {
        state.failed = true;
        run.failure ??= { job: jobId, step: name, message: stepRun.error ?? 'failed' };
      }
      if (stepRun.summary.trim()) summaries.push(stepRun.summary);
      record();
      options.onEvent?.({ type: 'step-end', job: jobRun, step: stepRun });
    }

    jobRun.result = state.failed ? 'failure' : 'success';
    const outputScope: ExpressionScope = {
      contexts: { github: githubForJob, inputs, needs, steps: state.steps, job: jobContext },
    };
    jobRun.outputs = stringMap(spec.outputs, outputScope);
    jobResults[jobId] = { result: jobRun.result, outputs: jobRun.outputs };
    apiJob.status = 'completed';
    apiJob.conclusion = jobRun.result;
    apiJob.completed_at = clockIso();
    if (jobRun.result === 'failure') run.conclusion = 'failure';
    options.onEvent?.({ type: 'job-end', job: jobRun });
  }

  const workflowRecord = sandbox.github?.state.workflowRuns.get(runId);
  if (workflowRecord) {
    workflowRecord.status = 'completed';
    workflowRecord.conclusion = run.conclusion;
  }
  const outputScope: ExpressionScope = { contexts: { github, inputs, jobs: jobResults } };
  for (const [name, spec] of Object.entries(workflow.on.workflow_call?.outputs ?? {})) {
    run.outputs[name] = interpolate(spec.value, outputScope);
  }
  run.summary = summaries.join('\n\n');
  return run;
}

function runScript(
  script: string,
  index: number,
  step: StepSpec,
  env: Record<string, string>,
  state: JobState,
  stepRun: StepRun,
  options: RunWorkflowOptions,
): Promise<void> {
  if (step.shell !== undefined && step.shell !== 'bash') {
    throw new Error(`shell: ${step.shell} is not supported (bash only)`);
  }
  const dir = mkdtempSync(path.join(state.runnerTemp, `step-${index}-`));
  const files = {
    GITHUB_OUTPUT: path.join(dir, 'output'),
    GITHUB_ENV: path.join(dir, 'env'),
    GITHUB_PATH: path.join(dir, 'path'),
    GITHUB_STEP_SUMMARY: path.join(dir, 'summary.md'),
  };
  for (const file of Object.values(files)) writeFileSync(file, '');
  const scriptFile = path.join(dir, 'script.sh');
  writeFileSync(scriptFile, script);
  const cwd = step['working-directory']
    ? path.resolve(state.workspace, step['working-directory'])
    : state.workspace;
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['--noprofile', '--norc', '-eo', 'pipefail', scriptFile], {
      cwd,
      env: { ...env, ...files },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.stepTimeoutMs ?? 300_000);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      const parsed = parseStdoutCommands(stdout);
      stepRun.log = [parsed.log.trimEnd(), stderr.trimEnd()].filter(Boolean).join('\n');
      stepRun.warnings = parsed.annotations
        .filter((a) => a.level === 'warning')
        .map((a) => a.message);
      stepRun.outputs = parseFileCommands(readFileSync(files.GITHUB_OUTPUT, 'utf8'));
      stepRun.summary = readFileSync(files.GITHUB_STEP_SUMMARY, 'utf8');
      Object.assign(state.exportedEnv, parseFileCommands(readFileSync(files.GITHUB_ENV, 'utf8')));
      state.extraPath.unshift(
        ...readFileSync(files.GITHUB_PATH, 'utf8').split('\n').filter(Boolean),
      );
      if (code === 0) resolve();
      else {
        const error = parsed.annotations.find((a) => a.level === 'error')?.message;
        reject(new Error(error ?? `Process completed with exit code ${code}`));
      }
    });
  });
}

async function runLocalAction(
  uses: string,
  withInputs: Record<string, string>,
  scope: ExpressionScope,
  env: Record<string, string>,
  state: JobState,
  stepRun: StepRun,
  options: RunWorkflowOptions,
): Promise<void> {
  // As the runner does: the path is relative to the job's workspace, and must hold an action.yml
  // by the time the step runs (usually thanks to a checkout step).
  const dir = path.resolve(state.workspace, uses);
  if (!existsSync(path.join(dir, 'action.yml'))) {
    throw new Error(
      `Can't find 'action.yml' under '${dir}'. Did you forget to run actions/checkout before running your local action?`,
    );
  }
  const real = realpathSync(dir);
  const actionsDir = realpathSync(path.join(repoRoot, 'actions'));
  if (path.dirname(real) !== actionsDir) {
    throw new Error(`${uses} is not one of this repository's actions (it resolves to ${real})`);
  }
  const action = path.basename(real);
  const meta = readActionMetadata(action);
  for (const name of Object.keys(withInputs)) {
    if (!(name in meta.inputs)) throw new Error(`Unexpected input '${name}' for ${uses}`);
  }
  const inputs: Record<string, string> = {};
  for (const [name, spec] of Object.entries(meta.inputs)) {
    if (name in withInputs) inputs[name] = withInputs[name]!;
    else if (typeof spec.default === 'string' && spec.default.includes('${{')) {
      inputs[name] = interpolate(spec.default, scope);
    }
    if (spec.required && !inputs[name] && !spec.default) {
      throw new Error(`Input required and not supplied: ${name}`);
    }
  }
  const result = await runAction(action, {
    inputs,
    env,
    workspace: state.workspace,
    timeoutMs: options.stepTimeoutMs ?? 300_000,
  });
  const logs = [result.log.trimEnd()];
  if (result.post) logs.push(`Post ${stepRun.name}`, result.post.log.trimEnd());
  stepRun.log = logs.filter(Boolean).join('\n');
  stepRun.outputs = result.outputs;
  stepRun.summary = result.summary;
  stepRun.warnings = [...result.warnings, ...(result.post?.warnings ?? [])];
  Object.assign(state.exportedEnv, result.env);
  state.extraPath.unshift(...result.path);
  for (const step of [result, result.post]) {
    if (step && step.exitCode !== 0) {
      const last = step.stderr.trim().split('\n').pop();
      throw new Error(step.errors[0] ?? (last || `exit code ${step.exitCode}`));
    }
  }
}

async function runStandIn(
  uses: string,
  withInputs: Record<string, string>,
  scope: ExpressionScope,
  runnerEnv: Record<string, string>,
  stepEnv: Record<string, string>,
  state: JobState,
  stepRun: StepRun,
  options: RunWorkflowOptions,
): Promise<void> {
  const at = uses.lastIndexOf('@');
  if (at < 0) throw new Error(`${uses}: a remote action needs @<ref>`);
  const action = uses.slice(0, at);
  const standIn = options.standIns[action];
  if (!standIn) throw new Error(`no stand-in for ${action}: the workflow runner cannot run it`);
  const lines: string[] = [];
  const result = await standIn({
    action,
    ref: uses.slice(at + 1),
    with: withInputs,
    env: { ...runnerEnv, ...stepEnv },
    job: {
      id: state.run.id,
      permissions: state.run.permissions,
      workspace: state.workspace,
      runnerTemp: state.runnerTemp,
      ...(state.run.environment !== undefined ? { environment: state.run.environment } : {}),
    },
    contexts: scope.contexts,
    log: (line) => lines.push(line),
  });
  stepRun.log = lines.join('\n');
  stepRun.outputs = result?.outputs ?? {};
  stepRun.summary = result?.summary ?? '';
  Object.assign(state.exportedEnv, result?.env ?? {});
}

// ---------------------------------------------------------------------------------------------
// The caller's repository and the sandbox's stand-ins for third-party actions

function git(cwd: string, args: string[], env: Record<string, string> = {}): string {
  const result = spawnSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 'Octo Cat',
      GIT_AUTHOR_EMAIL: 'octocat@example.com',
      GIT_COMMITTER_NAME: 'Octo Cat',
      GIT_COMMITTER_EMAIL: 'octocat@example.com',
      ...env,
    },
  });
  if (result.status !== 0) throw new Error(`git ${args.join(' ')}: ${result.stderr.trim()}`);
  return result.stdout.trim();
}

export interface ServiceRelease {
  tag: string;
  files: Record<string, string>;
}

/**
 * A service's git repository (one commit and one tag per release, oldest first), as the
 * checkout stand-in clones it. Returns its directory and the SHA of each release.
 */
export function createServiceRepository(releases: ServiceRelease[]): {
  dir: string;
  shas: Record<string, string>;
} {
  const dir = scratchDir('service-repo-');
  git(dir, ['init', '--quiet', '--initial-branch=main']);
  // Shallow fetches by SHA, as actions/checkout makes them.
  git(dir, ['config', 'uploadpack.allowAnySHA1InWant', 'true']);
  const shas: Record<string, string> = {};
  for (const [n, release] of releases.entries()) {
    for (const [file, text] of Object.entries(release.files)) {
      mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
      writeFileSync(path.join(dir, file), text);
    }
    git(dir, ['add', '--all']);
    const date = `2024-05-0${Math.min(n + 1, 9)}T12:00:00Z`;
    git(dir, ['commit', '--quiet', '--allow-empty', '-m', `Release ${release.tag}`], {
      GIT_AUTHOR_DATE: date,
      GIT_COMMITTER_DATE: date,
    });
    git(dir, ['tag', release.tag]);
    shas[release.tag] = git(dir, ['rev-parse', 'HEAD']);
  }
  return { dir, shas };
}

/** The `sub` claim GitHub puts in a job's OIDC token: its environment, else the event's ref. */
function oidcSubject(step: StandInStep): string {
  const github = step.contexts.github as Record<string, Value>;
  const repository = String(github.repository);
  if (step.job.environment) return `repo:${repository}:environment:${step.job.environment}`;
  if (github.event_name === 'pull_request') return `repo:${repository}:pull_request`;
  return `repo:${repository}:ref:${String(github.ref)}`;
}

/** AssumeRoleWithWebIdentity against the sandbox's STS, in its query/XML protocol. */
async function assumeRoleWithWebIdentity(
  sandbox: Sandbox,
  role: string,
  sub: string,
): Promise<Record<'AccessKeyId' | 'SecretAccessKey' | 'SessionToken', string>> {
  const now = Math.floor(sandbox.clock.now() / 1000);
  const token = forgeGitHubToken({ sub, aud: 'sts.amazonaws.com', iat: now, exp: now + 300 });
  const response = await fetch(sandbox.endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
    body: new URLSearchParams({
      Action: 'AssumeRoleWithWebIdentity',
      Version: '2011-06-15',
      RoleArn: role,
      RoleSessionName: 'GitHubActions',
      WebIdentityToken: token,
      DurationSeconds: '3600',
    }),
  });
  const xml = await response.text();
  const field = (name: string) => new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml)?.[1];
  if (!response.ok) {
    // As configure-aws-credentials words it.
    throw new Error(`Could not assume role with OIDC: ${field('Message') ?? xml}`);
  }
  return {
    AccessKeyId: field('AccessKeyId') ?? '',
    SecretAccessKey: field('SecretAccessKey') ?? '',
    SessionToken: field('SessionToken') ?? '',
  };
}

export interface BuildRequest {
  repository: string;
  tags: string[];
  dockerfile: string;
  context: string;
  cacheFrom: string;
}

export interface SandboxStandInOptions {
  /** The caller's repository (createServiceRepository), cloned by actions/checkout. */
  serviceRepository: string;
  /** What docker/build-push-action builds: the image pushed into the sandbox's ECR. */
  build: (request: BuildRequest) => EcrImageScenario | Promise<EcrImageScenario>;
  /** Filled as the stand-ins run, for assertions. */
  record?: { builds: BuildRequest[]; sarif: { file: string; category: string; results: number }[] };
}

function lines(value: string | undefined): string[] {
  return (value ?? '')
    .split(/[\n,]/)
    .map((l) => l.trim())
    .filter(Boolean);
}

function requirePermission(step: StandInStep, scope: string, level: 'read' | 'write'): void {
  const granted = step.job.permissions[scope] ?? 'none';
  if (granted === 'write' || granted === level) return;
  throw new Error(`${step.action}: the job needs 'permissions: ${scope}: ${level}'`);
}

/**
 * Stand-ins for the third-party actions our workflows use, each doing against the sandbox what
 * the real action does against GitHub and AWS, and refusing what the real one would refuse.
 */
export function sandboxStandIns(
  sandbox: Sandbox,
  options: SandboxStandInOptions,
): Record<string, StandIn> {
  const registry = sandbox.registry?.host;
  return {
    'actions/checkout': async (step) => {
      const target = path.resolve(step.job.workspace, step.with.path ?? '');
      if (!target.startsWith(step.job.workspace)) {
        throw new Error(`path '${step.with.path}' is not under the workspace`);
      }
      const job = step.contexts.job as Record<string, Value>;
      const github = step.contexts.github as Record<string, Value>;
      const repository = step.with.repository || String(github.repository);
      rmSync(target, { recursive: true, force: true });
      mkdirSync(path.dirname(target), { recursive: true });
      if (repository === job.workflow_repository) {
        // This repository: the checkout is this working tree, linked in at the requested path,
        // so `uses: ./<path>/actions/<name>` resolves to the actions under test.
        if (step.with.ref !== job.workflow_sha) {
          throw new Error(
            `checking out ${repository} at '${step.with.ref ?? ''}', not at the workflow's own commit ${String(job.workflow_sha)}`,
          );
        }
        symlinkSync(repoRoot, target, 'dir');
        step.log(`${repository}@${step.with.ref} → ${path.relative(step.job.workspace, target)}`);
        return undefined;
      }
      if (repository !== github.repository) {
        throw new Error(`repository ${repository} is not known to the sandbox`);
      }
      requirePermission(step, 'contents', 'read');
      const sha = step.with.ref || String(github.sha);
      const depth = step.with['fetch-depth'] ?? '1';
      mkdirSync(target, { recursive: true });
      git(target, ['init', '--quiet']);
      const source = `file://${options.serviceRepository}`;
      if (depth === '0') {
        git(target, ['fetch', '--quiet', '--tags', source, '+refs/heads/*:refs/remotes/origin/*']);
      } else {
        git(target, ['fetch', '--quiet', '--no-tags', `--depth=${depth}`, source, sha]);
      }
      git(target, ['checkout', '--quiet', '--detach', sha]);
      step.log(
        `${repository}@${sha} (fetch-depth ${depth}) → ${path.relative(step.job.workspace, target) || '.'}`,
      );
      return undefined;
    },

    'aws-actions/configure-aws-credentials': async (step) => {
      // The real action asks GitHub for an OIDC token, which needs this permission, and trades
      // it with STS for the role's credentials; the sandbox's STS holds the role's trust policy.
      requirePermission(step, 'id-token', 'write');
      const role = step.with['role-to-assume'] ?? '';
      if (!/^arn:aws:iam::\d{12}:role\/[\w+=,.@/-]+$/.test(role)) {
        throw new Error(`role-to-assume: '${role}' is not an IAM role ARN`);
      }
      const region = step.with['aws-region'];
      if (!region) throw new Error('Input required and not supplied: aws-region');
      const sub = oidcSubject(step);
      const credentials = await assumeRoleWithWebIdentity(sandbox, role, sub);
      step.log(`assumed ${role} with the job's OIDC token (sub ${sub})`);
      return {
        env: {
          AWS_REGION: region,
          AWS_DEFAULT_REGION: region,
          AWS_ACCESS_KEY_ID: credentials.AccessKeyId,
          AWS_SECRET_ACCESS_KEY: credentials.SecretAccessKey,
          AWS_SESSION_TOKEN: credentials.SessionToken,
        },
      };
    },

    'aws-actions/amazon-ecr-login': async (step) => {
      if (!step.env.AWS_ACCESS_KEY_ID) {
        throw new Error(
          'Could not load credentials from any providers (configure-aws-credentials first)',
        );
      }
      if (!registry) throw new Error('the sandbox scenario has no ECR registry');
      step.log(`logged in to ${registry}`);
      return { outputs: { registry } };
    },

    'docker/setup-buildx-action': async (step) => {
      const driver = step.with.driver || 'docker-container';
      if (!['docker', 'docker-container', 'kubernetes', 'remote'].includes(driver)) {
        throw new Error(`driver: unknown driver '${driver}'`);
      }
      return { outputs: { name: 'builder', driver, platforms: 'linux/amd64' } };
    },

    'docker/build-push-action': async (step) => {
      const context = path.resolve(step.job.workspace, step.with.context || '.');
      const dockerfile = step.with.file
        ? path.resolve(step.job.workspace, step.with.file)
        : path.join(context, 'Dockerfile');
      if (!existsSync(context)) throw new Error(`context: ${context} does not exist`);
      if (!existsSync(dockerfile)) throw new Error(`failed to read dockerfile: ${dockerfile}`);
      if (step.with.push !== 'true') throw new Error('the sandbox only builds images to push');
      const tags = lines(step.with.tags);
      if (tags.length === 0) throw new Error('tags: nothing to push to');
      const parsed = tags.map((t) => {
        const m = /^([^/]+)\/(.+):([\w][\w.-]{0,127})$/.exec(t);
        if (!m || m[1] !== registry)
          throw new Error(`tags: ${t} is not in the sandbox's ECR (${registry})`);
        return { repository: m[2]!, tag: m[3]! };
      });
      const repository = parsed[0]!.repository;
      if (parsed.some((p) => p.repository !== repository)) {
        throw new Error('tags: the sandbox pushes to one repository per build');
      }
      const request: BuildRequest = {
        repository,
        tags: parsed.map((p) => p.tag),
        dockerfile: readFileSync(dockerfile, 'utf8'),
        context,
        cacheFrom: step.with['cache-from'] ?? '',
      };
      options.record?.builds.push(request);
      const spec = await options.build(request);
      const image = await sandbox.ecr!.state.pushImage(repository, { ...spec, tags: request.tags });
      step.log(`pushed ${tags.join(', ')} (${image.digest}, ${image.layers.length} layers)`);
      return {
        outputs: {
          digest: image.digest,
          imageid: image.config.digest,
          metadata: JSON.stringify({
            'containerimage.digest': image.digest,
            'image.name': tags.join(','),
          }),
        },
      };
    },

    'github/codeql-action/upload-sarif': async (step) => {
      requirePermission(step, 'security-events', 'write');
      const given = step.with.sarif_file || '../results';
      const file = path.resolve(step.job.workspace, given);
      if (!existsSync(file)) throw new Error(`Path does not exist: ${given}`);
      const sarif = JSON.parse(readFileSync(file, 'utf8')) as {
        version?: string;
        runs?: { results?: unknown[] }[];
      };
      if (sarif.version !== '2.1.0' || !Array.isArray(sarif.runs)) {
        throw new Error(`${given} is not a SARIF 2.1.0 file`);
      }
      const results = sarif.runs.reduce((n, r) => n + (r.results?.length ?? 0), 0);
      options.record?.sarif.push({ file, category: step.with.category ?? '', results });
      step.log(`uploaded ${results} results (category ${step.with.category ?? 'default'})`);
      return { outputs: { 'sarif-id': `sarif-${options.record?.sarif.length ?? 1}` } };
    },
  };
}
