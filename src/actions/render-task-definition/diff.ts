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

/** A value on one diff line: line breaks written as `\n`, cut to a length. */
function shown(text: string): string {
  const line = text.replace(/\r\n|\r|\n/g, '\\n');
  return line.length > MAX_VALUE ? `${line.slice(0, MAX_VALUE - 1)}…` : line;
}

// Fields whose values are what a container is given to run with, and so may carry credentials:
// environment variables, labels, the command line and log driver options. Their paths name the
// item whose value is hidden (a variable is one item, its `name` and `value` leaves together).
const HIDDEN = [
  /^(.*\.environment\[[^\]]*\])\.(?:name|value)$/,
  /^(.*\.dockerLabels\..+)$/,
  /^(.*\.(?:command|entryPoint))$/,
  /^(.*\.(?:logConfiguration|firelensConfiguration)\.options\..+)$/,
];

/** The item whose value a change would show, when values of its kind are hidden. */
export function hiddenItem(path: string): string | undefined {
  for (const pattern of HIDDEN) {
    const match = pattern.exec(path);
    if (match) return match[1];
  }
  return undefined;
}

/** How many things changed: a variable, label or option counts once, whatever leaves it has. */
export function changedItems(changes: readonly Change[]): number {
  return new Set(changes.map((c) => hiddenItem(c.path) ?? c.path)).size;
}

export interface DiffLines {
  lines: string[];
  /** How many things changed: a variable, label or option counts once, values shown or not. */
  changed: number;
  /** How many items' values were left out. */
  hidden: number;
}

/**
 * Changes as the lines of a ```diff block: `-` for the old value, `+` for the new. Unless
 * `showValues`, an environment variable, label, command or log option is one line naming it and
 * saying whether it was added (`+`), removed (`-`) or changed (`!`), without its values.
 */
export function formatDiff(changes: readonly Change[], showValues = false): DiffLines {
  const out: Array<string | { item: string; added: boolean; removed: boolean }> = [];
  const hidden = new Map<string, { item: string; added: boolean; removed: boolean }>();
  for (const change of changes) {
    const item = showValues ? undefined : hiddenItem(change.path);
    if (item !== undefined) {
      let entry = hidden.get(item);
      if (!entry) {
        entry = { item, added: true, removed: true };
        hidden.set(item, entry);
        out.push(entry);
      }
      entry.added &&= change.before === undefined;
      entry.removed &&= change.after === undefined;
      continue;
    }
    if (change.before !== undefined) out.push(`- ${change.path}: ${shown(change.before)}`);
    if (change.after !== undefined) out.push(`+ ${change.path}: ${shown(change.after)}`);
  }
  const lines = out.map((line) => {
    if (typeof line === 'string') return line;
    if (line.added) return `+ ${line.item} (added)`;
    if (line.removed) return `- ${line.item} (removed)`;
    return `! ${line.item} (changed)`;
  });
  return { lines, changed: changedItems(changes), hidden: hidden.size };
}
