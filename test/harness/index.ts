// Runs a built action bundle the way the GitHub runner does: as a child process with INPUT_*
// variables (defaults applied from action.yml), the runner's files (GITHUB_OUTPUT, GITHUB_STATE,
// GITHUB_STEP_SUMMARY, GITHUB_ENV, GITHUB_PATH), its directories, and the `post:` step when the
// action declares one. It reads back what a workflow would see: exit code, outputs, summary,
// annotations and masked values.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface ActionMetadata {
  name: string;
  inputs: Record<string, { description?: string; required?: boolean; default?: string }>;
  outputs: Record<string, { description?: string }>;
  runs: { using: string; main: string; post?: string; 'post-if'?: string };
}

export function readActionMetadata(action: string): ActionMetadata {
  const file = path.join(repoRoot, 'actions', action, 'action.yml');
  const meta = parseYaml(readFileSync(file, 'utf8')) as ActionMetadata;
  meta.inputs ??= {};
  meta.outputs ??= {};
  return meta;
}

export interface Annotation {
  level: 'error' | 'warning' | 'notice' | 'debug';
  message: string;
  properties: Record<string, string>;
}

export interface StepResult {
  /** The step's RUNNER_TEMP and GITHUB_WORKSPACE, kept until the test process exits. */
  runnerTemp: string;
  workspace: string;
  exitCode: number | null;
  stdout: string;
  stderr: string;
  /** What the runner shows in the log: stdout with workflow commands removed and masks applied. */
  log: string;
  outputs: Record<string, string>;
  state: Record<string, string>;
  env: Record<string, string>;
  path: string[];
  summary: string;
  annotations: Annotation[];
  errors: string[];
  warnings: string[];
  masks: string[];
  durationMs: number;
}

export interface RunResult extends StepResult {
  post?: StepResult;
}

export interface RunOptions {
  inputs?: Record<string, string | number | boolean | undefined>;
  /** Extra environment (e.g. a sandbox's AWS_ENDPOINT_URL). Merged over a minimal runner env. */
  env?: Record<string, string | undefined>;
  /** The job's workspace; a temp dir when omitted. */
  workspace?: string;
  /** Path of a JSON event payload (GITHUB_EVENT_PATH) or the payload itself. */
  event?: { name: string; payload: unknown };
  /** Run the `post:` step after main, as the runner does at the end of the job. Default true. */
  post?: boolean;
  /** Kill the step after this long (real ms). Default 120 s. */
  timeoutMs?: number;
  /** Inherit the harness process's PATH etc. (never its AWS_* or GITHUB_* variables). */
  nodeBinary?: string;
}

// Step directories stay until the test process exits, so a test can read the files an action
// wrote (a rendered task definition under RUNNER_TEMP) after the step ends.
const scratchDirs = new Set<string>();
process.on('exit', () => {
  for (const dir of scratchDirs) rmSync(dir, { recursive: true, force: true });
});

function nodeBinary(): string {
  const local = path.join(repoRoot, 'node_modules', '.bin', 'node');
  return existsSync(local) ? local : process.execPath;
}

/** `${{ github.token }}`-style defaults, resolved as the runner would for the values we know. */
function resolveDefault(value: string, context: Record<string, string>): string {
  return value.replace(/\$\{\{\s*([\w.]+)\s*\}\}/g, (_, expr: string) => context[expr] ?? '');
}

export function inputEnvName(name: string): string {
  return `INPUT_${name.replace(/ /g, '_').toUpperCase()}`;
}

/** Parses a GITHUB_OUTPUT / GITHUB_STATE / GITHUB_ENV file: `k=v` lines and `k<<DELIM` blocks. */
export function parseFileCommands(text: string): Record<string, string> {
  const result: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line === '') continue;
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc) {
      const [, key, delimiter] = heredoc;
      const value: string[] = [];
      i++;
      while (i < lines.length && lines[i] !== delimiter) value.push(lines[i++]!);
      if (i >= lines.length) throw new Error(`unterminated ${key}<<${delimiter} in command file`);
      result[key!] = value.join('\n');
      continue;
    }
    const eq = line.indexOf('=');
    if (eq < 0) throw new Error(`invalid command file line: ${line}`);
    result[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return result;
}

function unescapeData(value: string): string {
  return value.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%');
}

function unescapeProperty(value: string): string {
  return unescapeData(value).replace(/%3A/g, ':').replace(/%2C/g, ',');
}

interface ParsedStdout {
  annotations: Annotation[];
  masks: string[];
  log: string;
}

/** Reads `::command props::data` workflow commands from stdout, as the runner does. */
export function parseStdoutCommands(stdout: string): ParsedStdout {
  const annotations: Annotation[] = [];
  const masks: string[] = [];
  const log: string[] = [];
  for (const line of stdout.split(/\r?\n/)) {
    const match = /^::([\w-]+)(?: ([^:]*))?::(.*)$/.exec(line);
    if (!match) {
      log.push(line);
      continue;
    }
    const [, command, props = '', data = ''] = match;
    const properties: Record<string, string> = {};
    for (const pair of props.split(',').filter(Boolean)) {
      const eq = pair.indexOf('=');
      properties[pair.slice(0, eq)] = unescapeProperty(pair.slice(eq + 1));
    }
    const message = unescapeData(data);
    if (command === 'add-mask') masks.push(message);
    else if (
      command === 'error' ||
      command === 'warning' ||
      command === 'notice' ||
      command === 'debug'
    ) {
      annotations.push({ level: command, message, properties });
      if (command !== 'debug')
        log.push(
          `${command === 'error' ? 'Error' : command === 'warning' ? 'Warning' : 'Notice'}: ${message}`,
        );
    } else if (command === 'group') log.push(`▶ ${message}`);
    else if (command === 'endgroup') continue;
    else log.push(line);
  }
  const masked = log.join('\n');
  const applied = masks
    .filter((m) => m !== '')
    .reduce((text, m) => text.split(m).join('***'), masked);
  return { annotations, masks, log: applied };
}

function runProcess(
  script: string,
  env: Record<string, string>,
  cwd: string,
  timeoutMs: number,
): Promise<{ exitCode: number | null; stdout: string; stderr: string; durationMs: number }> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(nodeBinary(), [script], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      stderr += `\n[harness] killed after ${timeoutMs} ms`;
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ exitCode: code, stdout, stderr, durationMs: Date.now() - started });
    });
  });
}

function readIfExists(file: string): string {
  return existsSync(file) ? readFileSync(file, 'utf8') : '';
}

/** Runs `dist/<action>/index.js` (and its post step) as the runner would. */
export async function runAction(action: string, options: RunOptions = {}): Promise<RunResult> {
  const meta = readActionMetadata(action);
  if (meta.runs.using !== 'node24') {
    throw new Error(
      `actions/${action}/action.yml: runs.using is ${meta.runs.using}, expected node24`,
    );
  }
  const actionDir = path.join(repoRoot, 'actions', action);
  const base = mkdtempSync(path.join(tmpdir(), `harness-${action}-`));
  scratchDirs.add(base);
  const workspace = options.workspace ?? path.join(base, 'workspace');
  const runnerTemp = path.join(base, 'runner-temp');
  const toolCache = path.join(base, 'tool-cache');
  for (const dir of [workspace, runnerTemp, toolCache]) mkdirSync(dir, { recursive: true });

  const files = {
    GITHUB_OUTPUT: path.join(base, 'output'),
    GITHUB_STATE: path.join(base, 'state'),
    GITHUB_STEP_SUMMARY: path.join(base, 'summary.md'),
    GITHUB_ENV: path.join(base, 'env'),
    GITHUB_PATH: path.join(base, 'path'),
  };
  for (const file of Object.values(files)) writeFileSync(file, '');

  let eventPath = '';
  if (options.event) {
    eventPath = path.join(base, 'event.json');
    writeFileSync(eventPath, JSON.stringify(options.event.payload));
  }

  const extra = options.env ?? {};
  const context: Record<string, string> = {
    'github.token': extra.GITHUB_TOKEN ?? '',
    'github.workspace': workspace,
    'github.repository': extra.GITHUB_REPOSITORY ?? 'acme/web',
    'runner.temp': runnerTemp,
    'runner.tool_cache': toolCache,
  };

  const inputs = options.inputs ?? {};
  for (const name of Object.keys(inputs)) {
    if (!(name in meta.inputs)) {
      throw new Error(
        `actions/${action}: unexpected input '${name}' (declared: ${Object.keys(meta.inputs).join(', ')})`,
      );
    }
  }
  const inputEnv: Record<string, string> = {};
  for (const [name, spec] of Object.entries(meta.inputs)) {
    const given = inputs[name];
    const value =
      given !== undefined
        ? String(given)
        : spec.default !== undefined
          ? resolveDefault(String(spec.default), context)
          : '';
    inputEnv[inputEnvName(name)] = value;
  }

  const inherited: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value === undefined || /^(AWS_|GITHUB_|INPUT_|STATE_|RUNNER_|ACTIONS_)/.test(key)) continue;
    inherited[key] = value;
  }

  const env: Record<string, string> = {
    ...inherited,
    CI: 'true',
    GITHUB_ACTIONS: 'true',
    GITHUB_ACTION: action,
    GITHUB_ACTION_PATH: actionDir,
    GITHUB_WORKSPACE: workspace,
    GITHUB_REPOSITORY: 'acme/web',
    GITHUB_REPOSITORY_OWNER: 'acme',
    GITHUB_SHA: '0123456789abcdef0123456789abcdef01234567',
    GITHUB_REF: 'refs/tags/v1.0.0',
    GITHUB_REF_NAME: 'v1.0.0',
    GITHUB_EVENT_NAME: options.event?.name ?? 'push',
    GITHUB_EVENT_PATH: eventPath,
    GITHUB_RUN_ID: '1001',
    GITHUB_RUN_ATTEMPT: '1',
    GITHUB_RUN_NUMBER: '1',
    GITHUB_JOB: 'deploy',
    GITHUB_WORKFLOW: 'deploy',
    GITHUB_ACTOR: 'octocat',
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_API_URL: 'http://127.0.0.1:9/github-api-not-configured',
    GITHUB_GRAPHQL_URL: 'http://127.0.0.1:9/graphql-not-configured',
    RUNNER_TEMP: runnerTemp,
    RUNNER_TOOL_CACHE: toolCache,
    RUNNER_OS: 'Linux',
    RUNNER_ARCH: 'X64',
    RUNNER_ENVIRONMENT: 'github-hosted',
    ...files,
    ...inputEnv,
  };
  for (const [key, value] of Object.entries(extra)) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }

  const timeoutMs = options.timeoutMs ?? 120_000;
  const main = await step(path.join(actionDir, meta.runs.main), env, workspace, timeoutMs, files);
  const result: RunResult = { ...main };
  const postIf = meta.runs['post-if'] ?? 'always()'; // GitHub's default for an action's post:
  const postRuns =
    postIf.includes('always()') || (postIf.includes('success()') && main.exitCode === 0);
  if (meta.runs.post && options.post !== false && postRuns) {
    const stateEnv: Record<string, string> = {};
    for (const [key, value] of Object.entries(main.state)) stateEnv[`STATE_${key}`] = value;
    writeFileSync(files.GITHUB_OUTPUT, '');
    writeFileSync(files.GITHUB_STEP_SUMMARY, '');
    result.post = await step(
      path.join(actionDir, meta.runs.post),
      { ...env, ...stateEnv },
      workspace,
      timeoutMs,
      files,
    );
  }
  return result;
}

async function step(
  script: string,
  env: Record<string, string>,
  cwd: string,
  timeoutMs: number,
  files: Record<
    'GITHUB_OUTPUT' | 'GITHUB_STATE' | 'GITHUB_STEP_SUMMARY' | 'GITHUB_ENV' | 'GITHUB_PATH',
    string
  >,
): Promise<StepResult> {
  if (!existsSync(script)) throw new Error(`${script} does not exist: run 'npm run build' first`);
  const run = await runProcess(script, env, cwd, timeoutMs);
  const parsed = parseStdoutCommands(run.stdout);
  return {
    ...run,
    runnerTemp: env.RUNNER_TEMP!,
    workspace: env.GITHUB_WORKSPACE!,
    log: parsed.log,
    annotations: parsed.annotations,
    errors: parsed.annotations.filter((a) => a.level === 'error').map((a) => a.message),
    warnings: parsed.annotations.filter((a) => a.level === 'warning').map((a) => a.message),
    masks: parsed.masks,
    outputs: parseFileCommands(readIfExists(files.GITHUB_OUTPUT)),
    state: parseFileCommands(readIfExists(files.GITHUB_STATE)),
    env: parseFileCommands(readIfExists(files.GITHUB_ENV)),
    path: readIfExists(files.GITHUB_PATH).split('\n').filter(Boolean),
    summary: readIfExists(files.GITHUB_STEP_SUMMARY),
  };
}
