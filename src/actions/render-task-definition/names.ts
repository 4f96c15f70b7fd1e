export const INPUT = {
  taskDefinition: 'task-definition',
  taskDefinitionFamily: 'task-definition-family',
  containerName: 'container-name',
  image: 'image',
  images: 'images',
  environmentVariables: 'environment-variables',
  envFiles: 'env-files',
  secrets: 'secrets',
  logConfiguration: 'log-configuration',
  dockerLabels: 'docker-labels',
  command: 'command',
  cpu: 'cpu',
  memory: 'memory',
  family: 'family',
  taskRoleArn: 'task-role-arn',
  executionRoleArn: 'execution-role-arn',
  merge: 'merge',
  pinImageDigest: 'pin-image-digest',
  showValues: 'show-values',
  awsRegion: 'aws-region',
  awsMaxAttempts: 'aws-max-attempts',
} as const;

export const OUTPUT = {
  taskDefinition: 'task-definition',
  family: 'family',
  images: 'images',
} as const;
