/** Every input and output name of the deploy-budget action, written once. */
export const INPUT = {
  budget: 'budget',
  phaseBudgets: 'phase-budgets',
  phases: 'phases',
  startedAt: 'started-at',
  waitingSince: 'waiting-since',
  environment: 'environment',
  history: 'history',
  image: 'image',
  imageBudget: 'image-budget',
  regressionThreshold: 'regression-threshold',
  minSamples: 'min-samples',
  floor: 'floor',
  onExceeded: 'on-exceeded',
  githubToken: 'github-token',
  awsRegion: 'aws-region',
  awsMaxAttempts: 'aws-max-attempts',
} as const;

export const OUTPUT = {
  durationSeconds: 'duration-seconds',
  overBudget: 'over-budget',
  regression: 'regression',
  medianSeconds: 'median-seconds',
  p90Seconds: 'p90-seconds',
  slowestPhase: 'slowest-phase',
  imageBytes: 'image-bytes',
} as const;
