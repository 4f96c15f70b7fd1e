import type { TestGate } from './inputs.ts';

export interface ProbeResult {
  status?: number;
  error?: string;
  ms: number;
}

export interface GateResult {
  passed: boolean;
  probes: ProbeResult[];
  /** One line: how many probes passed and what the others answered. */
  summary: string;
}

type Fetch = (
  url: string,
  init: { signal: AbortSignal; redirect: 'manual' },
) => Promise<{ status: number; body: { cancel(): Promise<void> } | null }>;

/**
 * Probes the test listener. Every probe must answer an expected status: a blue/green test
 * stage exists to catch the one request in ten that fails.
 */
export async function probeTestTraffic(
  gate: TestGate,
  fetchImpl: Fetch = fetch as unknown as Fetch,
  now: () => number = Date.now,
): Promise<GateResult> {
  const probes: ProbeResult[] = [];
  for (let i = 0; i < gate.requests; i++) {
    const started = now();
    try {
      const response = await fetchImpl(gate.url, {
        signal: AbortSignal.timeout(gate.timeoutMs),
        redirect: 'manual',
      });
      await response.body?.cancel();
      probes.push({ status: response.status, ms: now() - started });
    } catch (err) {
      const name = (err as { name?: string }).name;
      const error =
        name === 'TimeoutError' || name === 'AbortError'
          ? `no answer within ${gate.timeoutMs}ms`
          : networkError(err);
      probes.push({ error, ms: now() - started });
    }
  }
  return summarise(gate, probes);
}

export function summarise(gate: TestGate, probes: ProbeResult[]): GateResult {
  const ok = (p: ProbeResult) => p.status !== undefined && gate.expectStatus.includes(p.status);
  const passed = probes.filter(ok).length;
  const bad = new Map<string, number>();
  for (const probe of probes) {
    if (ok(probe)) continue;
    const what = probe.status !== undefined ? `HTTP ${probe.status}` : (probe.error ?? 'error');
    bad.set(what, (bad.get(what) ?? 0) + 1);
  }
  const others = [...bad].map(([what, count]) => `${count}× ${what}`).join(', ');
  const expected = gate.expectStatus.join(' or ');
  const summary =
    `${passed}/${probes.length} probes of ${gate.url} answered ${expected}` +
    (others ? ` (${others})` : '');
  return { passed: passed === probes.length && probes.length > 0, probes, summary };
}

/** fetch hides the socket error (ECONNREFUSED, ENOTFOUND…) in its cause. */
function networkError(err: unknown): string {
  const cause = (
    err as { cause?: { code?: string; message?: string; errors?: Array<{ code?: string }> } }
  ).cause;
  return cause?.code ?? cause?.errors?.[0]?.code ?? cause?.message ?? (err as Error).message;
}
