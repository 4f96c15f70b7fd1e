import { DescribeServicesCommand, ECSClient, ListTasksCommand } from '@aws-sdk/client-ecs';
import { afterEach, describe, expect, it } from 'vitest';
import type { FaultSpec } from './faults.ts';
import { Faults, seededRandom } from './faults.ts';
import { loadScenario } from './scenario.ts';
import { type Sandbox, type StartOptions, startSandbox } from './server.ts';

const sandboxes: Sandbox[] = [];

afterEach(async () => {
  await Promise.all(sandboxes.splice(0).map((s) => s.stop()));
});

/** GitHub answers every request with the repository, so faults are what changes the answer. */
const github = {
  handle: async () => ({ status: 200, body: { full_name: 'acme/api' } }),
};

async function sandbox(faults: FaultSpec[] = [], options: StartOptions = {}) {
  const scenario = { ...structuredClone(loadScenario('ecs-rolling')), faults };
  const sb = await startSandbox(
    scenario,
    { speed: 600, registry: false, ...options },
    {
      createGitHub: () => ({ ...github, state: {} }) as never,
    },
  );
  sandboxes.push(sb);
  return sb;
}

function ecsClient(sb: Sandbox, maxAttempts = 1) {
  return new ECSClient({
    endpoint: sb.endpoint,
    region: 'eu-west-1',
    credentials: { accessKeyId: 'AKIDSANDBOX', secretAccessKey: 'sandbox' },
    maxAttempts,
  });
}

const describeApi = new DescribeServicesCommand({ cluster: 'prod', services: ['api'] });

async function outcome(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (error) {
    return (error as Error).name;
  }
}

describe('fault injection', () => {
  it('throttles about the given share of matching calls, and only those', async () => {
    const sb = await sandbox([
      { kind: 'throttle', service: 'ecs', operation: 'DescribeServices', share: 0.5 },
    ]);
    const ecs = ecsClient(sb);
    const results: string[] = [];
    for (let i = 0; i < 40; i++) results.push(await outcome(ecs.send(describeApi)));
    const throttled = results.filter((r) => r === 'ThrottlingException').length;
    expect(throttled).toBeGreaterThan(10);
    expect(throttled).toBeLessThan(30);
    expect(results.filter((r) => r === 'ok')).toHaveLength(40 - throttled);
    expect(await outcome(ecs.send(new ListTasksCommand({ cluster: 'prod' })))).toBe('ok');
    const recorded = sb.callsTo('DescribeServices').filter((c) => c.fault === 'throttle');
    expect(recorded).toHaveLength(throttled);
    expect(recorded[0]?.status).toBe(400);
  });

  it('answers a burst of 5xx for a number of calls, then recovers', async () => {
    const sb = await sandbox([{ kind: 'error', service: 'ecs', count: 3 }]);
    const ecs = ecsClient(sb);
    const failures: unknown[] = [];
    for (let i = 0; i < 3; i++) failures.push(await ecs.send(describeApi).catch((e: unknown) => e));
    expect(failures).toEqual([
      expect.objectContaining({
        name: 'ServiceUnavailableException',
        $metadata: expect.objectContaining({ httpStatusCode: 503 }),
      }),
      expect.objectContaining({ name: 'ServiceUnavailableException' }),
      expect.objectContaining({ name: 'ServiceUnavailableException' }),
    ]);
    expect(await outcome(ecs.send(describeApi))).toBe('ok');

    sb.faults.set([{ kind: 'error', status: 500, count: 1 }]);
    await expect(ecs.send(describeApi)).rejects.toMatchObject({
      name: 'InternalFailure',
      $metadata: { httpStatusCode: 500 },
    });
  });

  it('lets the SDK retry its way through a short burst with its default attempts', async () => {
    const sb = await sandbox([{ kind: 'error', service: 'ecs', count: 2 }]);
    const out = await ecsClient(sb, 3).send(describeApi);
    expect(out.services?.[0]?.serviceName).toBe('api');
    expect(sb.callsTo('DescribeServices').map((c) => c.status)).toEqual([503, 503, 200]);
  });

  it('adds latency and still answers', async () => {
    const sb = await sandbox([{ kind: 'latency', latencyMs: 250, operation: 'DescribeServices' }]);
    const ecs = ecsClient(sb);
    await ecs.send(new ListTasksCommand({ cluster: 'prod' }));
    const started = performance.now();
    const out = await ecs.send(describeApi);
    expect(performance.now() - started).toBeGreaterThanOrEqual(240);
    expect(out.services).toHaveLength(1);
    expect(sb.callsTo('DescribeServices')[0]?.fault).toBe('latency');
  });

  it('drops the connection without an answer', async () => {
    const sb = await sandbox([{ kind: 'drop', count: 1 }]);
    const ecs = ecsClient(sb);
    const error = await ecs
      .send(describeApi)
      .catch((e: unknown) => e as Error & { $metadata?: unknown });
    expect(error).toBeInstanceOf(Error);
    expect(String((error as Error).message)).toMatch(/socket hang up|ECONNRESET|closed/i);
    expect(sb.calls[0]).toMatchObject({ fault: 'drop', status: 0 });
    expect(await outcome(ecs.send(describeApi))).toBe('ok');
  });

  it("answers GitHub's secondary rate limit with 403, retry-after and its message", async () => {
    const sb = await sandbox([
      {
        kind: 'github-secondary-rate-limit',
        operation: 'POST /repos/acme/api/issues',
        count: 1,
        retryAfter: 2,
      },
    ]);
    const first = await fetch(`${sb.endpoint}/repos/acme/api/issues`, {
      method: 'POST',
      body: '{}',
    });
    expect(first.status).toBe(403);
    expect(first.headers.get('retry-after')).toBe('2');
    expect(((await first.json()) as { message: string }).message).toContain('secondary rate limit');
    const second = await fetch(`${sb.endpoint}/repos/acme/api/issues`, {
      method: 'POST',
      body: '{}',
    });
    expect(second.status).toBe(200);
    const read = await fetch(`${sb.endpoint}/repos/acme/api`);
    expect(read.status).toBe(200);
  });

  it('answers GitHub 429 with an exhausted rate limit', async () => {
    const sb = await sandbox([{ kind: 'github-rate-limit', share: 1 }]);
    const res = await fetch(`${sb.endpoint}/repos/acme/api`);
    expect(res.status).toBe(429);
    expect(res.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(Number(res.headers.get('x-ratelimit-reset'))).toBeGreaterThan(Date.now() / 1000);
    // GitHub rate limits never hit AWS calls.
    expect(await outcome(ecsClient(sb).send(describeApi))).toBe('ok');
  });

  it('can be switched on and off at runtime, and can start after some calls', async () => {
    const sb = await sandbox();
    const ecs = ecsClient(sb);
    expect(await outcome(ecs.send(describeApi))).toBe('ok');
    sb.faults.set([{ kind: 'throttle', after: 1, count: 1 }]);
    const results = [];
    for (let i = 0; i < 3; i++) results.push(await outcome(ecs.send(describeApi)));
    expect(results).toEqual(['ok', 'ThrottlingException', 'ok']);
    sb.faults.set([{ kind: 'throttle' }]);
    expect(await outcome(ecs.send(describeApi))).toBe('ThrottlingException');
    sb.faults.clear();
    expect(await outcome(ecs.send(describeApi))).toBe('ok');
  });

  it('draws shares from the seed, so a scenario misbehaves the same way every run', () => {
    const pattern = (seed: number) => {
      const faults = new Faults(seed, [{ kind: 'throttle', share: 0.3 }]);
      return Array.from({ length: 50 }, () =>
        faults.decide('ecs', 'DescribeServices').fault ? 1 : 0,
      ).join('');
    };
    expect(pattern(7)).toBe(pattern(7));
    expect(pattern(7)).not.toBe(pattern(8));
    const random = seededRandom(1);
    const draws = Array.from({ length: 1000 }, random);
    expect(Math.min(...draws)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...draws)).toBeLessThan(1);
  });

  it('rejects a fault it does not know', () => {
    expect(() => new Faults(1, [{ kind: 'meteor' as never }])).toThrow(
      /unknown fault kind "meteor"/,
    );
    expect(() => new Faults(1, [{ kind: 'throttle', share: 2 }])).toThrow(/share/);
  });
});
