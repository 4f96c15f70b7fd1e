import { isObject } from './document.ts';

export interface Change {
  path: string;
  before?: string;
  after?: string;
}

function scalarText(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** List items are named by `name` or `key` when those are unique, otherwise by position. */
function labels(list: unknown[]): string[] {
  for (const field of ['name', 'key']) {
    const names = list.map((item) => (isObject(item) ? item[field] : undefined));
    if (
      names.every((n) => typeof n === 'string' && n !== '') &&
      new Set(names).size === names.length
    ) {
      return names as string[];
    }
  }
  return list.map((_, i) => String(i));
}

/**
 * One `path → value` entry per leaf. Lists of scalars (command, requiresCompatibilities) stay one
 * value, since a reader compares them whole; lists of objects are keyed by name, so a container
 * or variable added in the middle shows as one addition rather than a shifted tail.
 */
export function flatten(value: unknown, prefix = '', out = new Map<string, string>()) {
  if (Array.isArray(value)) {
    if (value.length === 0 || value.every((v) => !isObject(v) && !Array.isArray(v))) {
      out.set(prefix, JSON.stringify(value));
      return out;
    }
    const names = labels(value);
    value.forEach((item, i) => {
      flatten(item, `${prefix}[${names[i]}]`, out);
    });
    return out;
  }
  if (isObject(value)) {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined);
    if (entries.length === 0 && prefix !== '') out.set(prefix, '{}');
    for (const [key, item] of entries) flatten(item, prefix === '' ? key : `${prefix}.${key}`, out);
    return out;
  }
  out.set(prefix, scalarText(value));
  return out;
}

/** What changed between two definitions, in the order of the new one, removals last. */
export function diffDefinitions(before: unknown, after: unknown): Change[] {
  const old = flatten(before);
  const now = flatten(after);
  const changes: Change[] = [];
  for (const [path, value] of now) {
    const previous = old.get(path);
    if (previous === undefined) changes.push({ path, after: value });
    else if (previous !== value) changes.push({ path, before: previous, after: value });
  }
  for (const [path, value] of old) {
    if (!now.has(path)) changes.push({ path, before: value });
  }
  return changes;
}

const MAX_VALUE = 200;

function clip(text: string): string {
  return text.length > MAX_VALUE ? `${text.slice(0, MAX_VALUE - 1)}…` : text;
}

/** Changes as the lines of a ```diff block: `-` for the old value, `+` for the new. */
export function formatDiff(changes: readonly Change[]): string[] {
  const lines: string[] = [];
  for (const change of changes) {
    if (change.before !== undefined) lines.push(`- ${change.path}: ${clip(change.before)}`);
    if (change.after !== undefined) lines.push(`+ ${change.path}: ${clip(change.after)}`);
  }
  return lines;
}
