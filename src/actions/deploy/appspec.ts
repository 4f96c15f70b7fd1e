import { createHash } from 'node:crypto';
import type { ContainerDefinition, Service } from '@aws-sdk/client-ecs';
import { isObject } from '../../lib/documents.ts';
import { ActionError, InputError } from '../../lib/errors.ts';
import { INPUT } from './names.ts';
import type { HookName } from './types.ts';

export interface AppSpecProperties {
  TaskDefinition: string;
  LoadBalancerInfo: { ContainerName: string; ContainerPort: number };
  PlatformVersion?: string;
  NetworkConfiguration?: {
    AwsvpcConfiguration: { Subnets: string[]; SecurityGroups?: string[]; AssignPublicIp?: string };
  };
  CapacityProviderStrategy?: Array<{ CapacityProvider: string; Weight?: number; Base?: number }>;
}

export interface AppSpec {
  version: string | number;
  Resources: Array<{ TargetService: { Type: 'AWS::ECS::Service'; Properties: AppSpecProperties } }>;
  Hooks?: Array<Partial<Record<HookName, string>>>;
}

export interface AppSpecOverrides {
  taskDefinitionArn: string;
  containerName?: string;
  containerPort?: number;
  hooks: Array<[HookName, string]>;
}

function hooksSection(hooks: Array<[HookName, string]>): AppSpec['Hooks'] {
  return hooks.map(([name, fn]) => ({ [name]: fn }));
}

/**
 * The AppSpec CodeDeploy needs for an ECS blue/green deployment, built from the live service so
 * the replacement task set gets the same network, platform and capacity settings as the
 * original: CodeDeploy does not copy them by itself.
 */
export function appSpecFromService(service: Service, overrides: AppSpecOverrides): AppSpec {
  const lb = service.loadBalancers?.[0];
  const containerName = overrides.containerName ?? lb?.containerName;
  const containerPort = overrides.containerPort ?? lb?.containerPort;
  if (containerName === undefined || containerPort === undefined) {
    throw new ActionError(
      `service ${service.serviceName} has no load balancer with a container name and port: set container-name and container-port`,
    );
  }
  const properties: AppSpecProperties = {
    TaskDefinition: overrides.taskDefinitionArn,
    LoadBalancerInfo: { ContainerName: containerName, ContainerPort: containerPort },
  };
  if (service.platformVersion) properties.PlatformVersion = service.platformVersion;
  const vpc = service.networkConfiguration?.awsvpcConfiguration;
  if (vpc?.subnets && vpc.subnets.length > 0) {
    const awsvpc: NonNullable<AppSpecProperties['NetworkConfiguration']>['AwsvpcConfiguration'] = {
      Subnets: vpc.subnets,
    };
    if (vpc.securityGroups && vpc.securityGroups.length > 0)
      awsvpc.SecurityGroups = vpc.securityGroups;
    if (vpc.assignPublicIp) awsvpc.AssignPublicIp = vpc.assignPublicIp;
    properties.NetworkConfiguration = { AwsvpcConfiguration: awsvpc };
  }
  const strategy = service.capacityProviderStrategy ?? [];
  if (strategy.length > 0) {
    properties.CapacityProviderStrategy = strategy.map((item) => {
      const entry: { CapacityProvider: string; Weight?: number; Base?: number } = {
        CapacityProvider: item.capacityProvider ?? '',
      };
      if (item.weight !== undefined) entry.Weight = item.weight;
      if (item.base !== undefined) entry.Base = item.base;
      return entry;
    });
  }
  const appSpec: AppSpec = {
    version: '0.0',
    Resources: [{ TargetService: { Type: 'AWS::ECS::Service', Properties: properties } }],
  };
  if (overrides.hooks.length > 0) appSpec.Hooks = hooksSection(overrides.hooks);
  return appSpec;
}

/**
 * A user's AppSpec file with the task definition filled in (whatever placeholder it held) and
 * the container/hook inputs applied over it.
 */
export function appSpecFromFile(
  file: string,
  document: Record<string, unknown>,
  overrides: AppSpecOverrides,
): AppSpec {
  const where = (what: string) => new InputError(INPUT.appspec, `${file}: ${what}`);
  const resources = document.Resources;
  if (!Array.isArray(resources) || resources.length !== 1) {
    throw where('Resources must list exactly one TargetService');
  }
  const target = isObject(resources[0]) ? resources[0].TargetService : undefined;
  if (!isObject(target) || target.Type !== 'AWS::ECS::Service' || !isObject(target.Properties)) {
    throw where('Resources[0].TargetService must have Type AWS::ECS::Service and Properties');
  }
  const props = structuredClone(target.Properties) as Record<string, unknown>;
  const lb = isObject(props.LoadBalancerInfo) ? { ...props.LoadBalancerInfo } : {};
  if (overrides.containerName !== undefined) lb.ContainerName = overrides.containerName;
  if (overrides.containerPort !== undefined) lb.ContainerPort = overrides.containerPort;
  if (typeof lb.ContainerName !== 'string' || lb.ContainerName === '') {
    throw where('LoadBalancerInfo.ContainerName is missing (or set container-name)');
  }
  if (typeof lb.ContainerPort === 'string' && /^\d+$/.test(lb.ContainerPort)) {
    lb.ContainerPort = Number(lb.ContainerPort);
  }
  if (typeof lb.ContainerPort !== 'number') {
    throw where('LoadBalancerInfo.ContainerPort is missing (or set container-port)');
  }
  props.LoadBalancerInfo = lb;
  props.TaskDefinition = overrides.taskDefinitionArn;
  const appSpec: AppSpec = {
    version: (document.version as string | number | undefined) ?? '0.0',
    Resources: [
      {
        TargetService: {
          Type: 'AWS::ECS::Service',
          Properties: props as unknown as AppSpecProperties,
        },
      },
    ],
  };
  if (Array.isArray(document.Hooks)) {
    for (const hook of document.Hooks) {
      const names = isObject(hook) ? Object.keys(hook) : [];
      if (names.length !== 1) throw where('each Hooks entry names one hook: - BeforeInstall: fn');
    }
    appSpec.Hooks = document.Hooks as AppSpec['Hooks'];
  } else if (overrides.hooks.length > 0) {
    appSpec.Hooks = hooksSection(overrides.hooks);
  }
  return appSpec;
}

/**
 * Checks the AppSpec's container against the task definition being deployed: CodeDeploy would
 * otherwise fail minutes later with a less helpful message.
 */
export function checkContainer(appSpec: AppSpec, containers: ContainerDefinition[]): void {
  const { ContainerName, ContainerPort } =
    appSpec.Resources[0]!.TargetService.Properties.LoadBalancerInfo;
  const container = containers.find((c) => c.name === ContainerName);
  if (!container) {
    const names = containers.map((c) => c.name).join(', ');
    throw new ActionError(
      `container '${ContainerName}' (the load balancer's target) is not in the task definition (containers: ${names}); set container-name`,
    );
  }
  const ports = (container.portMappings ?? []).map((p) => p.containerPort);
  if (!ports.includes(ContainerPort)) {
    throw new ActionError(
      `container '${ContainerName}' has no port mapping for ${ContainerPort} (ports: ${ports.join(', ') || 'none'}); set container-port`,
    );
  }
}

export function appSpecRevision(appSpec: AppSpec): { content: string; sha256: string } {
  const content = JSON.stringify(appSpec);
  return { content, sha256: createHash('sha256').update(content).digest('hex') };
}
