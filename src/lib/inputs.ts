import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import * as core from '@actions/core';
import { runnerContext } from './context.ts';
import { InputError } from './errors.ts';

/**
 * Where raw input strings come from. The action reads the runner's `INPUT_*` variables;
 * unit tests pass a plain map. Unset inputs read as ''. JSON/YAML document inputs are parsed by
 * src/lib/documents.ts, so an action that takes none never loads a YAML parser.
 */
export type InputSource = (name: string) => string;

/** The runner's `INPUT_*` variables, trimmed, as @actions/core reads them. */
export const actionInputs: InputSource = (name) => core.getInput(name);

export function mapInputs(values: Record<string, string | undefined>): InputSource {
  return (name) => (values[name] ?? '').trim();
}

export function required(name: string, raw: string): string {
  if (raw === '') throw new InputError(name, 'is required');
  return raw;
}

export function optional(raw: string): string | undefined {
  return raw === '' ? undefined : raw;
}

/** Exactly one of the named inputs must be given. Returns the name of the one that was. */
export function exactlyOne<const N extends string>(values: Record<N, string>): N {
  const given = (Object.keys(values) as N[]).filter((n) => values[n] !== '');
  const names = (Object.keys(values) as N[]).join(' or ');
  if (given.length === 0) throw new InputError(names, 'one of these inputs is required');
  if (given.length > 1) {
    throw new InputError(given.join(', '), `give only one of ${names}`);
  }
  return given[0]!;
}

const TRUE = new Set(['true', 'True', 'TRUE']);
const FALSE = new Set(['false', 'False', 'FALSE']);

export function parseBoolean(name: string, raw: string, fallback?: boolean): boolean {
  if (raw === '' && fallback !== undefined) return fallback;
  if (TRUE.has(raw)) return true;
  if (FALSE.has(raw)) return false;
  throw new InputError(name, `must be true or false, got '${raw}'`);
}

export function parseChoice<const C extends string>(
  name: string,
  raw: string,
  allowed: readonly C[],
  fallback?: C,
): C {
  if (raw === '' && fallback !== undefined) return fallback;
  if ((allowed as readonly string[]).includes(raw)) return raw as C;
  throw new InputError(name, `must be one of ${allowed.join(', ')}, got '${raw}'`);
}

export function parseInteger(
  name: string,
  raw: string,
  {
    min = Number.MIN_SAFE_INTEGER,
    max = Number.MAX_SAFE_INTEGER,
    fallback,
  }: {
    min?: number;
    max?: number;
    fallback?: number;
  } = {},
): number {
  if (raw === '' && fallback !== undefined) return fallback;
  if (!/^-?\d+$/.test(raw)) throw new InputError(name, `must be a whole number, got '${raw}'`);
  const value = Number(raw);
  if (value < min || value > max) {
    throw new InputError(name, `must be between ${min} and ${max}, got ${value}`);
  }
  return value;
}

const DURATION_UNITS: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 };
const DURATION = /^(?:\d+(?:\.\d+)?(?:h|ms|m|s))+$/;

/** `90s`, `15m`, `1h30m`, `500ms` → milliseconds. A bare number is refused: its unit is a guess. */
export function parseDuration(name: string, raw: string, fallback?: string): number {
  const text = raw === '' && fallback !== undefined ? fallback : raw;
  const compact = text.replace(/\s+/g, '');
  if (!DURATION.test(compact)) {
    throw new InputError(name, `must be a duration like 90s, 15m or 1h30m, got '${text}'`);
  }
  let total = 0;
  for (const [, amount, unit] of compact.matchAll(/(\d+(?:\.\d+)?)(h|ms|m|s)/g)) {
    total += Number(amount) * DURATION_UNITS[unit!]!;
  }
  return Math.round(total);
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  let seconds = Math.round(ms / 1000);
  const hours = Math.floor(seconds / 3600);
  seconds -= hours * 3600;
  const minutes = Math.floor(seconds / 60);
  seconds -= minutes * 60;
  return [
    hours ? `${hours}h` : '',
    minutes ? `${minutes}m` : '',
    seconds || (!hours && !minutes) ? `${seconds}s` : '',
  ].join('');
}

const SIZE_UNITS: Record<string, number> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
  tib: 1024 ** 4,
};

/** `300MB`, `10GB`, `512MiB`, `1048576` (bytes) → bytes. */
export function parseSize(name: string, raw: string, fallback?: string): number {
  const text = raw === '' && fallback !== undefined ? fallback : raw;
  const match = /^(\d+(?:\.\d+)?)\s*([a-zA-Z]*)$/.exec(text.trim());
  const unit = match?.[2]?.toLowerCase() || 'b';
  if (!match || !(unit in SIZE_UNITS)) {
    throw new InputError(name, `must be a size like 300MB, 10GB or 512MiB, got '${text}'`);
  }
  return Math.round(Number(match[1]) * SIZE_UNITS[unit]!);
}

/** Non-empty lines, trimmed, without `#` comment lines. */
export function parseLines(raw: string): string[] {
  return raw
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

export interface KeyValueOptions {
  /** Keys must match this; `keyRule` says what is allowed in the error. */
  keyPattern?: RegExp;
  keyRule?: string;
  /** Allow an empty value (`KEY=`). Default true. */
  allowEmptyValue?: boolean;
}

/** A key short and plain enough to be a name someone mistyped, not a value on the wrong line. */
const SHOWABLE_KEY = /^[\w.-]{1,40}$/;

/**
 * Multi-line `KEY=VALUE` → ordered pairs. The first `=` splits, so values may contain `=`.
 * A repeated key is an error: which of the two was meant is a guess. An error names the input,
 * the line and the key, never a value: these inputs carry credentials, and a line without `=` is
 * most often the next line of a value (a PEM key) pasted across lines.
 */
export function parseKeyValueLines(
  name: string,
  raw: string,
  { keyPattern, keyRule, allowEmptyValue = true }: KeyValueOptions = {},
): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  const seen = new Set<string>();
  const lines = raw.split(/\r?\n/);
  let previousKey: string | undefined;
  lines.forEach((rawLine, index) => {
    const line = rawLine.trim();
    if (line === '' || line.startsWith('#')) return;
    const where = `line ${index + 1}`;
    const eq = line.indexOf('=');
    if (eq < 0) {
      const spans = previousKey
        ? ` (the line before sets '${previousKey}': a value cannot span lines)`
        : '';
      throw new InputError(name, `${where}: expected KEY=VALUE, got a line with no '='${spans}`);
    }
    const key = line.slice(0, eq).trim();
    const value = line.slice(eq + 1).trim();
    if (key === '') throw new InputError(name, `${where}: expected KEY=VALUE, the key is empty`);
    if (keyPattern && !keyPattern.test(key)) {
      const rule = keyRule ? ` (${keyRule})` : '';
      throw new InputError(
        name,
        SHOWABLE_KEY.test(key)
          ? `${where}: invalid key '${key}'${rule}`
          : `${where}: the text before '=' is not a valid key${rule}`,
      );
    }
    if (!allowEmptyValue && value === '') {
      throw new InputError(name, `${where}: empty value for '${key}'`);
    }
    if (seen.has(key)) throw new InputError(name, `${where}: duplicate key '${key}'`);
    seen.add(key);
    previousKey = key;
    pairs.push([key, value]);
  });
  return pairs;
}

/** Resolves a path input against the workspace and checks it is a readable file. */
export function resolveFile(name: string, file: string, workspace = workspaceDir()): string {
  const resolved = path.resolve(workspace, file);
  if (!existsSync(resolved)) throw new InputError(name, `file not found: ${file}`);
  if (!statSync(resolved).isFile()) throw new InputError(name, `not a file: ${file}`);
  return resolved;
}

export function workspaceDir(): string {
  return runnerContext().workspace;
}
