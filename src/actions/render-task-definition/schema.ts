// The keys RegisterTaskDefinition accepts, taken from the ECS API model (the SDK's
// RegisterTaskDefinitionRequest and the shapes it reaches). A unit test re-reads the SDK's model
// types and fails when this table drifts from them, so a new SDK version cannot silently make a
// valid key look like a typo. Union shapes (one member set, like sharingStrategy) are listed as
// shapes whose keys are the members.

/** What one key holds: a scalar, a string map, an enum (by name), or another shape (by name). */
export type FieldSpec =
  | 'string'
  | 'number'
  | 'boolean'
  | 'string[]'
  | 'number[]'
  | 'map'
  | { readonly enum: EnumName }
  | { readonly enumList: EnumName }
  | { readonly shape: ShapeName }
  | { readonly listOf: ShapeName };

export const ENUMS = {
  ApplicationProtocol: ['grpc', 'http', 'http2'],
  CPUArchitecture: ['ARM64', 'X86_64'],
  Compatibility: ['EC2', 'EXTERNAL', 'FARGATE', 'MANAGED_INSTANCES'],
  ContainerCondition: ['COMPLETE', 'HEALTHY', 'START', 'SUCCESS'],
  DeviceCgroupPermission: ['mknod', 'read', 'write'],
  EFSAuthorizationConfigIAM: ['DISABLED', 'ENABLED'],
  EFSTransitEncryption: ['DISABLED', 'ENABLED'],
  EnvironmentFileType: ['s3'],
  FirelensConfigurationType: ['fluentbit', 'fluentd'],
  IpcMode: ['host', 'none', 'task'],
  LogDriver: [
    'awsfirelens',
    'awslogs',
    'fluentd',
    'gelf',
    'journald',
    'json-file',
    'splunk',
    'syslog',
  ],
  NetworkMode: ['awsvpc', 'bridge', 'host', 'none'],
  OSFamily: [
    'LINUX',
    'WINDOWS_SERVER_2004_CORE',
    'WINDOWS_SERVER_2016_FULL',
    'WINDOWS_SERVER_2019_CORE',
    'WINDOWS_SERVER_2019_FULL',
    'WINDOWS_SERVER_2022_CORE',
    'WINDOWS_SERVER_2022_FULL',
    'WINDOWS_SERVER_2025_CORE',
    'WINDOWS_SERVER_2025_FULL',
    'WINDOWS_SERVER_20H2_CORE',
  ],
  PidMode: ['host', 'task'],
  ProxyConfigurationType: ['APPMESH'],
  ResourceType: ['GPU', 'InferenceAccelerator', 'NeuronDevice'],
  Scope: ['shared', 'task'],
  TaskDefinitionPlacementConstraintType: ['memberOf'],
  TransportProtocol: ['tcp', 'udp'],
  UlimitName: [
    'core',
    'cpu',
    'data',
    'fsize',
    'locks',
    'memlock',
    'msgqueue',
    'nice',
    'nofile',
    'nproc',
    'rss',
    'rtprio',
    'rttime',
    'sigpending',
    'stack',
  ],
  VersionConsistency: ['disabled', 'enabled'],
} as const;

export const SHAPES = {
  RegisterTaskDefinitionRequest: {
    family: 'string',
    taskRoleArn: 'string',
    executionRoleArn: 'string',
    networkMode: { enum: 'NetworkMode' },
    containerDefinitions: { listOf: 'ContainerDefinition' },
    volumes: { listOf: 'Volume' },
    placementConstraints: { listOf: 'TaskDefinitionPlacementConstraint' },
    requiresCompatibilities: { enumList: 'Compatibility' },
    cpu: 'string',
    memory: 'string',
    tags: { listOf: 'Tag' },
    pidMode: { enum: 'PidMode' },
    ipcMode: { enum: 'IpcMode' },
    proxyConfiguration: { shape: 'ProxyConfiguration' },
    inferenceAccelerators: { listOf: 'InferenceAccelerator' },
    ephemeralStorage: { shape: 'EphemeralStorage' },
    runtimePlatform: { shape: 'RuntimePlatform' },
    enableFaultInjection: 'boolean',
  },
  ContainerDefinition: {
    name: 'string',
    image: 'string',
    repositoryCredentials: { shape: 'RepositoryCredentials' },
    cpu: 'number',
    memory: 'number',
    memoryReservation: 'number',
    links: 'string[]',
    portMappings: { listOf: 'PortMapping' },
    essential: 'boolean',
    restartPolicy: { shape: 'ContainerRestartPolicy' },
    entryPoint: 'string[]',
    command: 'string[]',
    environment: { listOf: 'KeyValuePair' },
    environmentFiles: { listOf: 'EnvironmentFile' },
    mountPoints: { listOf: 'MountPoint' },
    volumesFrom: { listOf: 'VolumeFrom' },
    linuxParameters: { shape: 'LinuxParameters' },
    secrets: { listOf: 'Secret' },
    dependsOn: { listOf: 'ContainerDependency' },
    startTimeout: 'number',
    stopTimeout: 'number',
    versionConsistency: { enum: 'VersionConsistency' },
    hostname: 'string',
    user: 'string',
    workingDirectory: 'string',
    disableNetworking: 'boolean',
    privileged: 'boolean',
    readonlyRootFilesystem: 'boolean',
    dnsServers: 'string[]',
    dnsSearchDomains: 'string[]',
    extraHosts: { listOf: 'HostEntry' },
    dockerSecurityOptions: 'string[]',
    interactive: 'boolean',
    pseudoTerminal: 'boolean',
    dockerLabels: 'map',
    ulimits: { listOf: 'Ulimit' },
    logConfiguration: { shape: 'LogConfiguration' },
    healthCheck: { shape: 'HealthCheck' },
    systemControls: { listOf: 'SystemControl' },
    resourceRequirements: { listOf: 'ResourceRequirement' },
    firelensConfiguration: { shape: 'FirelensConfiguration' },
    credentialSpecs: 'string[]',
  },
  RepositoryCredentials: {
    credentialsParameter: 'string',
  },
  PortMapping: {
    containerPort: 'number',
    hostPort: 'number',
    protocol: { enum: 'TransportProtocol' },
    name: 'string',
    appProtocol: { enum: 'ApplicationProtocol' },
    containerPortRange: 'string',
  },
  ContainerRestartPolicy: {
    enabled: 'boolean',
    ignoredExitCodes: 'number[]',
    restartAttemptPeriod: 'number',
  },
  KeyValuePair: {
    name: 'string',
    value: 'string',
  },
  EnvironmentFile: {
    value: 'string',
    type: { enum: 'EnvironmentFileType' },
  },
  MountPoint: {
    sourceVolume: 'string',
    containerPath: 'string',
    readOnly: 'boolean',
  },
  VolumeFrom: {
    sourceContainer: 'string',
    readOnly: 'boolean',
  },
  LinuxParameters: {
    capabilities: { shape: 'KernelCapabilities' },
    devices: { listOf: 'Device' },
    initProcessEnabled: 'boolean',
    sharedMemorySize: 'number',
    tmpfs: { listOf: 'Tmpfs' },
    maxSwap: 'number',
    swappiness: 'number',
  },
  KernelCapabilities: {
    add: 'string[]',
    drop: 'string[]',
  },
  Device: {
    hostPath: 'string',
    containerPath: 'string',
    permissions: { enumList: 'DeviceCgroupPermission' },
  },
  Tmpfs: {
    containerPath: 'string',
    size: 'number',
    mountOptions: 'string[]',
  },
  Secret: {
    name: 'string',
    valueFrom: 'string',
  },
  ContainerDependency: {
    containerName: 'string',
    condition: { enum: 'ContainerCondition' },
  },
  HostEntry: {
    hostname: 'string',
    ipAddress: 'string',
  },
  Ulimit: {
    name: { enum: 'UlimitName' },
    softLimit: 'number',
    hardLimit: 'number',
  },
  LogConfiguration: {
    logDriver: { enum: 'LogDriver' },
    options: 'map',
    secretOptions: { listOf: 'Secret' },
  },
  HealthCheck: {
    command: 'string[]',
    interval: 'number',
    timeout: 'number',
    retries: 'number',
    startPeriod: 'number',
  },
  SystemControl: {
    namespace: 'string',
    value: 'string',
  },
  ResourceRequirement: {
    value: 'string',
    type: { enum: 'ResourceType' },
    sharingStrategy: { shape: 'SharingStrategy' },
  },
  SharingStrategy: {
    nvidiaMps: { shape: 'NvidiaMpsAllocation' },
  },
  NvidiaMpsAllocation: {
    memory: 'number',
    maxComputePercent: 'number',
  },
  FirelensConfiguration: {
    type: { enum: 'FirelensConfigurationType' },
    options: 'map',
  },
  Volume: {
    name: 'string',
    host: { shape: 'HostVolumeProperties' },
    dockerVolumeConfiguration: { shape: 'DockerVolumeConfiguration' },
    efsVolumeConfiguration: { shape: 'EFSVolumeConfiguration' },
    s3filesVolumeConfiguration: { shape: 'S3FilesVolumeConfiguration' },
    fsxWindowsFileServerVolumeConfiguration: { shape: 'FSxWindowsFileServerVolumeConfiguration' },
    configuredAtLaunch: 'boolean',
  },
  HostVolumeProperties: {
    sourcePath: 'string',
  },
  DockerVolumeConfiguration: {
    scope: { enum: 'Scope' },
    autoprovision: 'boolean',
    driver: 'string',
    driverOpts: 'map',
    labels: 'map',
  },
  EFSVolumeConfiguration: {
    fileSystemId: 'string',
    rootDirectory: 'string',
    transitEncryption: { enum: 'EFSTransitEncryption' },
    transitEncryptionPort: 'number',
    authorizationConfig: { shape: 'EFSAuthorizationConfig' },
  },
  EFSAuthorizationConfig: {
    accessPointId: 'string',
    iam: { enum: 'EFSAuthorizationConfigIAM' },
  },
  S3FilesVolumeConfiguration: {
    fileSystemArn: 'string',
    rootDirectory: 'string',
    transitEncryptionPort: 'number',
    accessPointArn: 'string',
  },
  FSxWindowsFileServerVolumeConfiguration: {
    fileSystemId: 'string',
    rootDirectory: 'string',
    authorizationConfig: { shape: 'FSxWindowsFileServerAuthorizationConfig' },
  },
  FSxWindowsFileServerAuthorizationConfig: {
    credentialsParameter: 'string',
    domain: 'string',
  },
  TaskDefinitionPlacementConstraint: {
    type: { enum: 'TaskDefinitionPlacementConstraintType' },
    expression: 'string',
  },
  Tag: {
    key: 'string',
    value: 'string',
  },
  ProxyConfiguration: {
    type: { enum: 'ProxyConfigurationType' },
    containerName: 'string',
    properties: { listOf: 'KeyValuePair' },
  },
  InferenceAccelerator: {
    deviceName: 'string',
    deviceType: 'string',
  },
  EphemeralStorage: {
    sizeInGiB: 'number',
  },
  RuntimePlatform: {
    cpuArchitecture: { enum: 'CPUArchitecture' },
    operatingSystemFamily: { enum: 'OSFamily' },
  },
} as const;

export type EnumName = keyof typeof ENUMS;
export type ShapeName = keyof typeof SHAPES;

export function fieldsOf(shape: ShapeName): Readonly<Record<string, FieldSpec>> {
  return SHAPES[shape];
}

export function enumValues(name: EnumName): readonly string[] {
  return ENUMS[name];
}
