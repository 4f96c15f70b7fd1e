import { parseDocumentText } from '../../lib/documents.ts';
import { InputError } from '../../lib/errors.ts';
import type { Finding } from './findings.ts';

/** One entry of the ignore file: a vulnerability (optionally only in one package), why, until when. */
export interface IgnoreEntry {
  id: string;
  package?: string;
  reason: string;
  /** `YYYY-MM-DD`; the entry applies through the end of that day (UTC). */
  expires: string;
}

const KEYS = new Set(['id', 'package', 'reason', 'expires']);
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

function entryError(input: string, index: number, problem: string): InputError {
  return new InputError(input, `entry ${index + 1}: ${problem}`);
}

function dateText(value: unknown): string | undefined {
  // YAML reads an unquoted 2025-01-31 as a string with the yaml package's default schema, but a
  // JSON/YAML writer may also have produced a Date.
  if (value instanceof Date && !Number.isNaN(value.getTime()))
    return value.toISOString().slice(0, 10);
  return typeof value === 'string' ? value : undefined;
}

/**
 * Parses the ignore file: a list of entries, or a mapping with an `ignore:` list. Unknown keys are
 * refused, since a typo (`expire:`) would otherwise silently make an entry permanent.
 */
export function parseIgnoreFile(input: string, text: string, source: string): IgnoreEntry[] {
  const doc = parseDocumentText(input, text, source);
  if (doc === null || doc === undefined) return [];
  let list: unknown = doc;
  if (typeof doc === 'object' && !Array.isArray(doc)) {
    const keys = Object.keys(doc);
    if (keys.some((k) => k !== 'ignore')) {
      throw new InputError(
        input,
        `${source}: expected a list of entries or a mapping with 'ignore:'`,
      );
    }
    list = (doc as { ignore?: unknown }).ignore ?? [];
  }
  if (!Array.isArray(list)) {
    throw new InputError(input, `${source}: expected a list of {id, package?, reason, expires}`);
  }
  return list.map((raw, index) => {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      throw entryError(input, index, 'expected a mapping {id, package?, reason, expires}');
    }
    const record = raw as Record<string, unknown>;
    const unknown = Object.keys(record).filter((k) => !KEYS.has(k));
    if (unknown.length > 0) {
      throw entryError(
        input,
        index,
        `unknown key ${unknown.map((k) => `'${k}'`).join(', ')} (allowed: id, package, reason, expires)`,
      );
    }
    const { id, package: pkg, reason } = record;
    if (typeof id !== 'string' || id.trim() === '')
      throw entryError(input, index, "'id' is required");
    const where = `(${id})`;
    if (pkg !== undefined && (typeof pkg !== 'string' || pkg.trim() === '')) {
      throw entryError(input, index, `${where} 'package' must be a package name`);
    }
    if (typeof reason !== 'string' || reason.trim() === '') {
      throw entryError(
        input,
        index,
        `${where} 'reason' is required: say why this finding is accepted`,
      );
    }
    const expires = dateText(record.expires);
    if (expires === undefined) {
      throw entryError(
        input,
        index,
        `${where} 'expires' is required (YYYY-MM-DD): an ignore without an end date is never revisited`,
      );
    }
    const match = DATE.exec(expires);
    const date = match ? new Date(`${expires}T00:00:00Z`) : undefined;
    if (!date || Number.isNaN(date.getTime()) || date.toISOString().slice(0, 10) !== expires) {
      throw entryError(
        input,
        index,
        `${where} 'expires' must be a date YYYY-MM-DD, got '${expires}'`,
      );
    }
    const entry: IgnoreEntry = { id: id.trim(), reason: reason.trim(), expires };
    if (typeof pkg === 'string') entry.package = pkg.trim();
    return entry;
  });
}

export function isExpired(entry: IgnoreEntry, now: Date): boolean {
  const endOfDay = Date.parse(`${entry.expires}T23:59:59.999Z`);
  return now.getTime() > endOfDay;
}

export function entryLabel(entry: IgnoreEntry): string {
  return entry.package ? `${entry.id} in ${entry.package}` : entry.id;
}

function matches(entry: IgnoreEntry, finding: Finding): boolean {
  return (
    entry.id.toLowerCase() === finding.id.toLowerCase() &&
    (entry.package === undefined || entry.package === finding.packageName)
  );
}

export interface IgnoredFinding {
  finding: Finding;
  entry: IgnoreEntry;
}

export interface IgnoreResult {
  kept: Finding[];
  ignored: IgnoredFinding[];
  /** Entries past their date: not applied. */
  expired: IgnoreEntry[];
  /** Live entries that matched no finding of this image. */
  unmatched: IgnoreEntry[];
}

/** Splits findings into kept and ignored; the first live entry that matches a finding wins. */
export function applyIgnores(
  findings: readonly Finding[],
  entries: readonly IgnoreEntry[],
  now: Date,
): IgnoreResult {
  const expired = entries.filter((e) => isExpired(e, now));
  const live = entries.filter((e) => !isExpired(e, now));
  const used = new Set<IgnoreEntry>();
  const kept: Finding[] = [];
  const ignored: IgnoredFinding[] = [];
  for (const finding of findings) {
    const entry = live.find((e) => matches(e, finding));
    if (entry) {
      used.add(entry);
      ignored.push({ finding, entry });
    } else {
      kept.push(finding);
    }
  }
  return { kept, ignored, expired, unmatched: live.filter((e) => !used.has(e)) };
}
