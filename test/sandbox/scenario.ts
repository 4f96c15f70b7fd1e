// The scenario: everything the sandbox starts with (account, ECS services, CodeDeploy groups,
// ECR images, GitHub repositories) and how it misbehaves (faults, unhealthy images, failing
// hooks). Written as YAML under test/sandbox/scenarios/ or built in code by tests.

import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import type { ActionsCacheScenario } from './actions-cache.ts';
import type { FaultSpec } from './faults.ts';
import type { GitHubScenario } from './github.ts';
import type { CodeDeployScenario } from './services/codedeploy.ts';
import type { EcrScenario } from './services/ecr.ts';
import type { EcsScenario } from './services/ecs.ts';
import type { Elbv2Scenario } from './services/elbv2.ts';
import type { LogsScenario } from './services/logs.ts';
import type { StsScenario } from './services/sts.ts';

export interface Scenario {
  /** Shown by the CLI. */
  name?: string;
  description?: string;
  region?: string;
  accountId?: string;
  /** Simulated seconds per real second. */
  speed?: number;
  /** Seeds ids and fault shares, so runs repeat. */
  seed?: number;
  /** Simulated start time (ISO 8601 or epoch ms); default the real time now. */
  startTime?: string | number;
  ecs?: EcsScenario;
  codedeploy?: CodeDeployScenario;
  ecr?: EcrScenario;
  elbv2?: Elbv2Scenario;
  /** IAM roles that GitHub's OIDC tokens may assume, with their trust policies. */
  sts?: StsScenario;
  github?: GitHubScenario;
  /** The GitHub Actions cache service (started when present, or with `actionsCache: true`). */
  actionsCache?: ActionsCacheScenario;
  faults?: FaultSpec[];
  /** CloudWatch Logs: the log groups that exist (tasks' awslogs output lands there). */
  logs?: LogsScenario;
}

export interface ResolvedScenario extends Scenario {
  region: string;
  accountId: string;
  speed: number;
  seed: number;
  startTime?: number;
}

const KEYS = new Set([
  'name',
  'description',
  'region',
  'accountId',
  'speed',
  'seed',
  'startTime',
  'ecs',
  'codedeploy',
  'ecr',
  'elbv2',
  'sts',
  'github',
  'actionsCache',
  'faults',
  'logs',
]);

export const SCENARIO_DIR = join(dirname(fileURLToPath(import.meta.url)), 'scenarios');

/** Checks the top level so that a typo fails loudly instead of silently doing nothing. */
export function validateScenario(value: unknown, source = 'scenario'): Scenario {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new Error(`${source}: expected a mapping at the top level`);
  }
  const scenario = value as Record<string, unknown>;
  for (const key of Object.keys(scenario)) {
    if (!KEYS.has(key)) {
      throw new Error(`${source}: unknown key "${key}" (expected ${[...KEYS].join(', ')})`);
    }
  }
  for (const key of ['speed', 'seed'] as const) {
    if (scenario[key] !== undefined && typeof scenario[key] !== 'number') {
      throw new Error(`${source}: ${key} must be a number`);
    }
  }
  if (scenario.faults !== undefined && !Array.isArray(scenario.faults)) {
    throw new Error(`${source}: faults must be a list`);
  }
  const ecs = scenario.ecs as Record<string, unknown> | undefined;
  if (ecs?.clusters !== undefined && !Array.isArray(ecs.clusters)) {
    throw new Error(`${source}: ecs.clusters must be a list`);
  }
  const codedeploy = scenario.codedeploy as Record<string, unknown> | undefined;
  if (codedeploy?.applications !== undefined && !Array.isArray(codedeploy.applications)) {
    throw new Error(`${source}: codedeploy.applications must be a list`);
  }
  return scenario as Scenario;
}

/** Finds a scenario file: a path, or the name of one under test/sandbox/scenarios. */
export function scenarioPath(ref: string): string {
  if (existsSync(ref)) return resolve(ref);
  const named = join(SCENARIO_DIR, ref.endsWith('.yaml') ? ref : `${ref}.yaml`);
  if (existsSync(named)) return named;
  throw new Error(`scenario ${ref} not found (neither a file nor a name in ${SCENARIO_DIR})`);
}

export function loadScenario(ref: string): Scenario {
  const path = scenarioPath(ref);
  let parsed: unknown;
  try {
    parsed = parseYaml(readFileSync(path, 'utf8'), { merge: true });
  } catch (error) {
    throw new Error(`${path}: ${(error as Error).message}`);
  }
  return validateScenario(parsed, path);
}

export function resolveScenario(
  scenario: Scenario,
  overrides: { speed?: number; startTime?: number } = {},
): ResolvedScenario {
  const start = overrides.startTime ?? scenario.startTime;
  const startTime =
    typeof start === 'string' ? Date.parse(start) : typeof start === 'number' ? start : undefined;
  if (startTime !== undefined && Number.isNaN(startTime)) {
    throw new Error(`scenario: startTime ${String(start)} is not a date`);
  }
  const { startTime: _ignored, ...rest } = scenario;
  return {
    ...rest,
    region: scenario.region ?? 'us-east-1',
    accountId: scenario.accountId ?? '123456789012',
    speed: overrides.speed ?? scenario.speed ?? 1,
    seed: scenario.seed ?? 1,
    ...(startTime !== undefined ? { startTime } : {}),
  };
}
