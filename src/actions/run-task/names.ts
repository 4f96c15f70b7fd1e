export const INPUT = {
  taskDefinition: 'task-definition',
  taskDefinitionArn: 'task-definition-arn',
  cluster: 'cluster',
  service: 'service',
  subnets: 'subnets',
  securityGroups: 'security-groups',
  assignPublicIp: 'assign-public-ip',
  containerName: 'container-name',
  command: 'command',
  environmentVariables: 'environment-variables',
  count: 'count',
  timeout: 'timeout',
  logs: 'logs',
  onCancel: 'on-cancel',
  pollInterval: 'poll-interval',
  awsRegion: 'aws-region',
  awsMaxAttempts: 'aws-max-attempts',
} as const;

export const OUTPUT = {
  taskArns: 'task-arns',
  exitCode: 'exit-code',
  stoppedReason: 'stopped-reason',
  durationSeconds: 'duration-seconds',
  logUrl: 'log-url',
  taskDefinitionArn: 'task-definition-arn',
} as const;

/** What the main step leaves for the `post:` step. */
export const STATE = {
  isPost: 'is-post',
  /** JSON `SavedRun`: where the tasks run and what to do with ones left running. */
  run: 'run',
  /** JSON array of the ARNs RunTask answered with. */
  taskArns: 'task-arns',
  /** `true` once the main step has dealt with its tasks (finished, stopped or left them). */
  settled: 'settled',
} as const;

export const ON_CANCEL = ['rollback', 'leave'] as const;
export type OnCancel = (typeof ON_CANCEL)[number];

export const ASSIGN_PUBLIC_IP = ['ENABLED', 'DISABLED'] as const;
