/** One measured deploy, as kept in the history (a deployment's payload or the history file). */
export interface HistoryRecord {
  /** When the deploy was measured (ISO 8601). */
  at: string;
  durationSeconds: number;
  /** The workflow run that deployed: a re-run replaces its earlier measurement. */
  runId?: string;
  sha?: string;
  budgetSeconds?: number;
  imageBytes?: number;
  /** Seconds per phase name. */
  phases?: Record<string, number>;
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}

/**
 * Reads a record written by this action, or explains in a few words why `value` is not one.
 * Unknown keys are kept out rather than refused, so a newer version's records still read.
 */
export function toRecord(value: unknown): HistoryRecord | { problem: string } {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { problem: 'is not an object' };
  }
  const raw = value as Record<string, unknown>;
  if (typeof raw.at !== 'string' || Number.isNaN(Date.parse(raw.at))) {
    return { problem: "'at' must be an ISO 8601 time" };
  }
  if (!isCount(raw.durationSeconds)) {
    return { problem: "'durationSeconds' must be a number of seconds" };
  }
  const record: HistoryRecord = { at: raw.at, durationSeconds: raw.durationSeconds };
  if (typeof raw.runId === 'string' && raw.runId !== '') record.runId = raw.runId;
  if (typeof raw.sha === 'string' && raw.sha !== '') record.sha = raw.sha;
  if (isCount(raw.budgetSeconds)) record.budgetSeconds = raw.budgetSeconds;
  if (raw.imageBytes !== undefined && raw.imageBytes !== null) {
    if (!isCount(raw.imageBytes)) return { problem: "'imageBytes' must be a number of bytes" };
    record.imageBytes = raw.imageBytes;
  }
  if (raw.phases !== undefined && raw.phases !== null) {
    if (typeof raw.phases !== 'object' || Array.isArray(raw.phases)) {
      return { problem: "'phases' must map phase names to seconds" };
    }
    const phases: Record<string, number> = {};
    for (const [name, seconds] of Object.entries(raw.phases)) {
      if (!isCount(seconds)) return { problem: `phase '${name}' must be a number of seconds` };
      phases[name] = seconds;
    }
    record.phases = phases;
  }
  return record;
}

export function isRecord(value: HistoryRecord | { problem: string }): value is HistoryRecord {
  return !('problem' in value);
}

/**
 * Oldest first, one record per workflow run (the newest attempt wins), and without the run being
 * measured now: a re-run must not be compared with its own first attempt.
 */
export function normalizeHistory(
  records: readonly HistoryRecord[],
  currentRunId?: string,
): HistoryRecord[] {
  const sorted = [...records]
    .map((record, index) => ({ record, index }))
    .sort((a, b) => Date.parse(a.record.at) - Date.parse(b.record.at) || a.index - b.index)
    .map(({ record }) => record);
  const latestByRun = new Map<string, HistoryRecord>();
  for (const record of sorted) if (record.runId) latestByRun.set(record.runId, record);
  return sorted.filter(
    (record) =>
      !record.runId || (record.runId !== currentRunId && latestByRun.get(record.runId) === record),
  );
}
