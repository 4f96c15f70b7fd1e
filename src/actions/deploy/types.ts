export const WAIT_UNTIL = ['none', 'ready', 'deployed', 'complete'] as const;
export type WaitUntil = (typeof WAIT_UNTIL)[number];

/** The five lifecycle hooks an ECS AppSpec may name, in the order CodeDeploy runs them. */
export const HOOK_NAMES = [
  'BeforeInstall',
  'AfterInstall',
  'AfterAllowTestTraffic',
  'BeforeAllowTraffic',
  'AfterAllowTraffic',
] as const;
export type HookName = (typeof HOOK_NAMES)[number];

export type Controller = 'CODE_DEPLOY' | 'ECS';

/** One timed step of a deployment, as the deploy-budget action reads it. */
export interface Phase {
  name: string;
  startedAt: string;
  endedAt: string;
  seconds: number;
}

/** Traffic weights (percent) by task set or revision label, from the time AWS reported them. */
export interface TrafficPoint {
  at: string;
  weights: Record<string, number>;
}

/** How a wait on either controller ended. */
export interface WaitOutcome {
  status: string;
  reached: boolean;
  failure?: string;
  rolledBack: boolean;
  phases: Phase[];
  traffic: TrafficPoint[];
  durationSeconds?: number;
  notes: string[];
}

export interface DeployResult {
  controller: Controller;
  strategy: string;
  taskDefinitionArn: string;
  deploymentId: string;
  status: string;
  /** True when nothing was deployed because the service already runs this task definition. */
  unchanged: boolean;
  durationSeconds: number;
  phases: Phase[];
  traffic: TrafficPoint[];
  rolledBack: boolean;
  /** What was awaited, and whether it was reached. */
  waitUntil: WaitUntil;
  reached: boolean;
  /** Set when the step must fail; the outputs and summary are still written. */
  failure?: string;
  /** Lines for the summary (test-traffic probes, rollback, notes). */
  notes: string[];
  links: Array<{ title: string; url: string }>;
}

/** Where progress goes: the runner log in the action, an array in unit tests. */
export interface Logger {
  info(message: string): void;
  warning(message: string): void;
  startGroup(title: string): void;
  endGroup(): void;
}
