// The runner's protocol at an action's edges: inputs and state from the environment, outputs and
// state through the files the runner names, annotations and masks as `::command::` lines on
// stdout. Written here rather than loaded from @actions/core because that package pulls in an
// HTTP client (for OIDC tokens) whose loading costs more than a warm layer-cache run takes.
import { randomUUID } from 'node:crypto';
import { appendFileSync, existsSync } from 'node:fs';
import { EOL } from 'node:os';
import { plainText } from './stdout.ts';

/** Where an annotation points in the repository, as the runner's annotation commands take it. */
export interface AnnotationProperties {
  title?: string;
  file?: string;
  startLine?: number;
  endLine?: number;
  startColumn?: number;
  endColumn?: number;
}

/** Anything written to the runner as text: strings as they are, other values as JSON. */
function commandValue(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  return JSON.stringify(value);
}

/** The runner reads a command to the end of its line: data escapes `%` and line breaks. */
export function escapeData(value: unknown): string {
  return commandValue(value).replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** Properties are `key=value` pairs separated by `,` and ended by `::`: those escape too. */
export function escapeProperty(value: unknown): string {
  return escapeData(value).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

/** `::name key=value,key=value::data`; properties without a value are left out. */
export function formatCommand(
  name: string,
  properties: Record<string, unknown>,
  data: unknown,
): string {
  const props = Object.entries(properties)
    .filter(([, value]) => Boolean(value))
    .map(([key, value]) => `${key}=${escapeProperty(value)}`)
    .join(',');
  return `::${name}${props ? ` ${props}` : ''}::${escapeData(data)}`;
}

function issue(name: string, properties: Record<string, unknown>, data: unknown): void {
  process.stdout.write(`${formatCommand(name, properties, data)}${EOL}`);
}

/** `INPUT_<NAME>` as the runner sets it: upper-cased, spaces as `_`. Unset reads as ''. */
export function getInput(name: string): string {
  return (process.env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] ?? '').trim();
}

/**
 * `name<<delimiter` blocks: the value may hold any line, so the delimiter is random and a value
 * that happens to contain it is refused rather than cut short.
 */
export function keyValueBlock(name: string, value: unknown): string {
  const delimiter = `ghadelimiter_${randomUUID()}`;
  const text = commandValue(value);
  if (name.includes(delimiter) || text.includes(delimiter)) {
    throw new Error(`${name}: the value contains the delimiter ${delimiter}`);
  }
  return `${name}<<${delimiter}${EOL}${text}${EOL}${delimiter}${EOL}`;
}

function appendToCommandFile(
  variable: string,
  legacyCommand: string,
  name: string,
  value: unknown,
) {
  const file = process.env[variable];
  if (!file) {
    // A runner too old for command files (or a local run) still reads the stdout command.
    process.stdout.write(EOL);
    issue(legacyCommand, { name }, value);
    return;
  }
  if (!existsSync(file)) throw new Error(`${variable} names a file that does not exist: ${file}`);
  appendFileSync(file, keyValueBlock(name, value), 'utf8');
}

export function setOutput(name: string, value: unknown): void {
  appendToCommandFile('GITHUB_OUTPUT', 'set-output', name, value);
}

/** Passes a value from the main step to the `post:` step, which reads it with getState. */
export function saveState(name: string, value: unknown): void {
  appendToCommandFile('GITHUB_STATE', 'save-state', name, value);
}

export function getState(name: string): string {
  return process.env[`STATE_${name}`] ?? '';
}

/** The runner replaces the value with `***` wherever it appears in the log from now on. */
export function setSecret(secret: string): void {
  issue('add-mask', {}, secret);
}

export function isDebug(): boolean {
  return process.env.RUNNER_DEBUG === '1';
}

/** A plain log line; text in it never starts a workflow command (see stdout.ts). */
export function info(message: string): void {
  process.stdout.write(`${plainText(message)}${EOL}`);
}

/** Shown only when the run has debug logging on. */
export function debug(message: string): void {
  issue('debug', {}, message);
}

function annotate(
  level: 'error' | 'warning' | 'notice',
  message: string | Error,
  properties: AnnotationProperties,
): void {
  issue(
    level,
    {
      title: properties.title,
      file: properties.file,
      line: properties.startLine,
      endLine: properties.endLine,
      col: properties.startColumn,
      endColumn: properties.endColumn,
    },
    message instanceof Error ? message.toString() : message,
  );
}

export function error(message: string | Error, properties: AnnotationProperties = {}): void {
  annotate('error', message, properties);
}

export function warning(message: string | Error, properties: AnnotationProperties = {}): void {
  annotate('warning', message, properties);
}

export function notice(message: string | Error, properties: AnnotationProperties = {}): void {
  annotate('notice', message, properties);
}

/** Folds the log lines that follow, up to endGroup, under `name`. */
export function startGroup(name: string): void {
  issue('group', {}, name);
}

export function endGroup(): void {
  issue('endgroup', {}, '');
}

/** An error annotation and exit code 1: the step fails once the process ends. */
export function setFailed(message: string | Error): void {
  process.exitCode = 1;
  error(message);
}

/**
 * Appends Markdown to the job summary. Outside a runner that offers one (no
 * GITHUB_STEP_SUMMARY) the summary is dropped with a debug line: it never fails a step.
 */
export function appendSummary(markdown: string): void {
  const file = process.env.GITHUB_STEP_SUMMARY;
  if (!file) {
    debug('GITHUB_STEP_SUMMARY is not set: no job summary written');
    return;
  }
  appendFileSync(file, markdown, 'utf8');
}
