/** Every input and output name of the ecr-scan action, written once. */
export const INPUT = {
  repository: 'repository',
  imageTag: 'image-tag',
  imageDigest: 'image-digest',
  registryId: 'registry-id',
  waitTimeout: 'wait-timeout',
  startScan: 'start-scan',
  failOn: 'fail-on',
  ignoreFile: 'ignore-file',
  tickets: 'tickets',
  ticketSeverity: 'ticket-severity',
  ticketLabels: 'ticket-labels',
  maxNewTickets: 'max-new-tickets',
  closeFixed: 'close-fixed',
  prComment: 'pr-comment',
  sarifFile: 'sarif-file',
  dockerfile: 'dockerfile',
  githubToken: 'github-token',
  awsRegion: 'aws-region',
  awsMaxAttempts: 'aws-max-attempts',
} as const;

export const OUTPUT = {
  status: 'status',
  critical: 'critical',
  high: 'high',
  medium: 'medium',
  low: 'low',
  informational: 'informational',
  undefined: 'undefined',
  total: 'total',
  ignored: 'ignored',
  ticketsOpened: 'tickets-opened',
  ticketsUpdated: 'tickets-updated',
  ticketsClosed: 'tickets-closed',
  sarifFile: 'sarif-file',
  findingsFile: 'findings-file',
} as const;

export const DEFAULT_IGNORE_FILE = '.github/ecr-scan-ignore.yml';
