/** One deploy on the chart, oldest first; the last one is the deploy being measured. */
export interface ChartPoint {
  seconds: number;
  imageBytes?: number;
}

export function quote(text: string): string {
  return `"${text.replace(/["\\]/g, "'")}"`;
}

/** Compact numbers: Mermaid draws every digit it is given. */
function round(value: number): string {
  return String(Math.round(value * 10) / 10);
}

/**
 * X labels count deploys back from this one: unique labels matter, because the chart's band
 * scale would merge two deploys with the same label (two deploys of one commit, one day).
 */
function labels(count: number): string {
  return Array.from({ length: count }, (_, i) =>
    i === count - 1 ? '"now"' : `"-${count - 1 - i}"`,
  ).join(', ');
}

export function block(lines: string[]): string {
  return ['```mermaid', 'xychart-beta', ...lines.map((l) => `  ${l}`), '```'].join('\n');
}

/**
 * Deploy durations as bars with the budget as a line. Minutes once the numbers get long, so the
 * axis stays readable.
 */
export function durationChart(
  points: readonly ChartPoint[],
  budgetSeconds: number,
  environment: string,
): string {
  const peak = Math.max(budgetSeconds, ...points.map((p) => p.seconds));
  const minutes = peak >= 600;
  const unit = minutes ? 60 : 1;
  // Integer arithmetic: 330 × 1.1 is 363.00000000000006 in floating point.
  const top = Math.ceil((peak * 11) / (10 * unit));
  return block([
    `title ${quote(`Deploy duration, ${environment} (last ${points.length})`)}`,
    `x-axis [${labels(points.length)}]`,
    `y-axis ${quote(minutes ? 'minutes' : 'seconds')} 0 --> ${top}`,
    `bar [${points.map((p) => round(p.seconds / unit)).join(', ')}]`,
    `line [${points.map(() => round(budgetSeconds / unit)).join(', ')}]`,
  ]);
}

const SIZE_UNITS: Array<[number, string]> = [
  [1e9, 'GB'],
  [1e6, 'MB'],
  [1e3, 'kB'],
  [1, 'bytes'],
];

/**
 * Image sizes for the deploys whose size is known, in the largest unit the biggest image fills,
 * with the image budget as a line when there is one; undefined when fewer than two sizes are
 * known (one bar shows no trend).
 */
export function imageChart(
  points: readonly ChartPoint[],
  budgetBytes: number | undefined,
  environment: string,
): string | undefined {
  const known = points
    .map((p, i) => ({ bytes: p.imageBytes, back: points.length - 1 - i }))
    .filter((p): p is { bytes: number; back: number } => p.bytes !== undefined);
  if (known.length < 2) return undefined;
  const peak = Math.max(budgetBytes ?? 0, ...known.map((p) => p.bytes));
  const [size, unit] = SIZE_UNITS.find(([bytes]) => peak >= bytes) ?? SIZE_UNITS.at(-1)!;
  const lines = [
    `title ${quote(`Image size, ${environment}`)}`,
    `x-axis [${known.map((p) => (p.back === 0 ? '"now"' : `"-${p.back}"`)).join(', ')}]`,
    `y-axis ${quote(unit)} 0 --> ${Math.ceil((peak * 11) / (10 * size))}`,
    `bar [${known.map((p) => round(p.bytes / size)).join(', ')}]`,
  ];
  if (budgetBytes !== undefined) {
    lines.push(`line [${known.map(() => round(budgetBytes / size)).join(', ')}]`);
  }
  return block(lines);
}
