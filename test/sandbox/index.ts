// Public API of the sandbox: a local AWS (ECS, ECR, CodeDeploy) and GitHub API simulator for
// tests and the demo. Test and demo infrastructure only: never bundled into an action.
//
//   const sandbox = await start('web-bluegreen', { speed: 600 });
//   spawn('node', ['dist/deploy/index.js'], { env: { ...process.env, ...sandbox.env } });
//   ...
//   await sandbox.stop();

import { createGitHub } from './github.ts';
import { startRegistry } from './registry.ts';
import type { Scenario } from './scenario.ts';
import { type Sandbox, type StartOptions, startSandbox } from './server.ts';
import { createEcr } from './services/ecr.ts';

export type {
  ActionsCacheScenario,
  ActionsCacheService,
  CacheEntryView,
  TokenOptions,
  TruncateSpec,
} from './actions-cache.ts';
export type { SandboxClock } from './clock.ts';
export type { FaultKind, FaultSpec } from './faults.ts';
export type { Scenario } from './scenario.ts';
export { loadScenario, SCENARIO_DIR } from './scenario.ts';
export type { Sandbox, StartOptions } from './server.ts';
export type {
  CodeDeployDeployment,
  CodeDeployModule,
  CodeDeployScenario,
} from './services/codedeploy.ts';
export type {
  EcsModule,
  EcsScenario,
  RollingDeployment,
  ServiceDeploymentRecord,
  ServiceRecord,
} from './services/ecs.ts';
export type { Elbv2Module, Elbv2Scenario, TargetGroupRecord } from './services/elbv2.ts';
export type { CallRecord, Clock } from './types.ts';

/**
 * Starts a sandbox from a scenario (an object, a YAML path, or the name of a file in
 * test/sandbox/scenarios). Call `stop()` when done; an exit hook closes what is left.
 */
export function start(scenario: Scenario | string, options: StartOptions = {}): Promise<Sandbox> {
  return startSandbox(scenario, options, { startRegistry, createEcr, createGitHub });
}
