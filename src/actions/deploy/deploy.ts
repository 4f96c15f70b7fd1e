import type { CodeDeployClient, DeploymentGroupInfo } from '@aws-sdk/client-codedeploy';
import {
  type ContainerDefinition,
  DescribeTaskDefinitionCommand,
  type ECSClient,
  RegisterTaskDefinitionCommand,
  type Service,
  type TaskDefinition,
} from '@aws-sdk/client-ecs';
import { ActionError, InputError } from '../../lib/errors.ts';
import { formatDuration } from '../../lib/inputs.ts';
import { sameTaskDefinition, shortTaskDefinition } from '../../lib/task-definition.ts';
import { type AppSpec, appSpecFromFile, appSpecFromService, checkContainer } from './appspec.ts';
import {
  checkDeploymentGroup,
  createDeployment,
  findActiveDeployment,
  type PollTiming,
  waitForCodeDeploy,
  waitForOtherDeployment,
} from './codedeploy.ts';
import {
  activeNativeDeployment,
  activeRollingDeployment,
  describeService,
  findNewServiceDeployment,
  isNativeStrategy,
  rollingSettledOn,
  strategyOf,
  updateService,
  waitForNative,
  waitForOtherEcs,
  waitForRolling,
} from './ecs.ts';
import { type GateResult, probeTestTraffic } from './gate.ts';
import {
  codeDeployOnlyInputs,
  type DeployInputs,
  defaultApplicationName,
  defaultDeploymentGroupName,
  resourceName,
  type TestGate,
} from './inputs.ts';
import { INPUT } from './names.ts';
import { Progress } from './progress.ts';
import type { DeployResult, Logger, WaitOutcome } from './types.ts';

export interface Clients {
  ecs: ECSClient;
  codedeploy: CodeDeployClient;
}

export interface DeployDeps {
  log: Logger;
  region: string;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  probe?: (gate: TestGate) => Promise<GateResult>;
  env?: NodeJS.ProcessEnv;
}

function errorName(err: unknown): string | undefined {
  return (err as { name?: string } | undefined)?.name;
}

/** The task definition the service runs now: for CodeDeploy, the PRIMARY task set's. */
export function liveTaskDefinition(service: Service): string | undefined {
  const primarySet = service.taskSets?.find((s) => s.status === 'PRIMARY');
  return primarySet?.taskDefinition ?? service.taskDefinition;
}

async function describeTaskDefinition(
  ecs: ECSClient,
  ref: string,
  input: string,
): Promise<TaskDefinition> {
  try {
    const out = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: ref }));
    if (!out.taskDefinition?.taskDefinitionArn)
      throw new ActionError(`${input}: task definition '${ref}' not found`);
    return out.taskDefinition;
  } catch (err) {
    if (errorName(err) === 'ClientException') {
      throw new ActionError(
        `${input}: task definition '${ref}' not found (${(err as Error).message})`,
      );
    }
    throw err;
  }
}

function consoleLinks(region: string, cluster: string, service: string) {
  const base = `https://${region}.console.aws.amazon.com`;
  return {
    service: `${base}/ecs/v2/clusters/${resourceName(cluster)}/services/${resourceName(service)}/deployments?region=${region}`,
    taskDefinition: (arn: string) => {
      const [family, revision] = shortTaskDefinition(arn).split(':');
      return `${base}/ecs/v2/task-definitions/${family}/${revision ?? ''}?region=${region}`;
    },
    codeDeploy: (id: string) => `${base}/codesuite/codedeploy/deployments/${id}?region=${region}`,
  };
}

function defaultDescription(env: NodeJS.ProcessEnv): string {
  const repo = env.GITHUB_REPOSITORY;
  const sha = env.GITHUB_SHA?.slice(0, 12);
  const run = env.GITHUB_RUN_ID;
  if (!repo) return 'Deployed by fargate-delivery';
  return `Deployed by fargate-delivery from ${repo}${sha ? `@${sha}` : ''}${run ? ` (run ${run})` : ''}`;
}

/**
 * The deploy: read the service, check everything that can be checked before a change, register
 * the task definition (unless the service already runs the same one), start the deployment the
 * service's controller calls for, and follow it to the awaited point.
 */
export async function deploy(
  clients: Clients,
  inputs: DeployInputs,
  deps: DeployDeps,
): Promise<DeployResult> {
  const now = deps.now ?? Date.now;
  const started = now();
  const deadline = started + inputs.timeoutMs;
  const env = deps.env ?? process.env;
  const timing: PollTiming = {
    intervalMs: inputs.pollIntervalMs,
    deadline,
    ...(deps.now ? { now: deps.now } : {}),
    ...(deps.sleep ? { sleep: deps.sleep } : {}),
    ...(deps.random ? { random: deps.random } : {}),
  };
  const progress = new Progress(deps.log, now);
  const { ecs, codedeploy } = clients;
  const clusterName = resourceName(inputs.cluster);
  const serviceName = resourceName(inputs.service);
  const links = consoleLinks(deps.region, inputs.cluster, inputs.service);
  const timeoutText = formatDuration(inputs.timeoutMs);

  let service = await describeService(ecs, inputs.cluster, inputs.service);
  const controllerType = service.deploymentController?.type ?? 'ECS';
  if (controllerType === 'EXTERNAL') {
    throw new ActionError(
      `service '${serviceName}' uses the EXTERNAL deployment controller, which this action does not support (it deploys services with the ECS or CODE_DEPLOY controller)`,
    );
  }
  const controller = controllerType === 'CODE_DEPLOY' ? 'CODE_DEPLOY' : 'ECS';
  const strategy = strategyOf(service);
  const native = controller === 'ECS' && isNativeStrategy(strategy);

  let group: DeploymentGroupInfo | undefined;
  const application =
    inputs.codeDeploy.application ?? defaultApplicationName(inputs.cluster, inputs.service);
  const deploymentGroup =
    inputs.codeDeploy.deploymentGroup ?? defaultDeploymentGroupName(inputs.cluster, inputs.service);
  if (controller === 'ECS') {
    const misplaced = codeDeployOnlyInputs(inputs)[0];
    if (misplaced) {
      throw new InputError(
        misplaced,
        `applies to CodeDeploy blue/green, but service '${serviceName}' uses the ECS deployment controller (${strategy})`,
      );
    }
    if (inputs.waitUntil === 'ready' && !native) {
      throw new InputError(
        INPUT.waitUntil,
        `ready needs a blue/green deployment with a test stage, but service '${serviceName}' uses a ${strategy} update`,
      );
    }
  } else {
    if (inputs.desiredCount !== undefined) {
      throw new InputError(
        INPUT.desiredCount,
        `applies to services with the ECS deployment controller; '${serviceName}' uses CODE_DEPLOY (set the count on the service)`,
      );
    }
    group = await checkDeploymentGroup(codedeploy, {
      application,
      deploymentGroup,
      cluster: clusterName,
      service: serviceName,
      needsReadyWait: inputs.testGate !== undefined,
    });
  }

  // Someone else's deployment in flight: ours would be refused (CodeDeploy) or would
  // silently replace theirs half-way (ECS).
  const activeError = (what: string) =>
    new ActionError(
      `${what} is already in progress on service '${serviceName}'; wait for it to end, or set wait-for-active: true to wait here`,
    );
  if (controller === 'CODE_DEPLOY') {
    const active = await findActiveDeployment(codedeploy, application, deploymentGroup);
    if (active) {
      if (!inputs.waitForActive)
        throw activeError(`CodeDeploy deployment ${active.id} (${active.status})`);
      await waitForOtherDeployment(codedeploy, active, progress, timing);
      service = await describeService(ecs, inputs.cluster, inputs.service);
    }
  } else if (native) {
    const active = await activeNativeDeployment(ecs, inputs.cluster, inputs.service);
    if (active) {
      if (!inputs.waitForActive)
        throw activeError(`service deployment ${active.arn} (${active.status})`);
      await waitForOtherEcs(
        ecs,
        progress,
        { cluster: inputs.cluster, service: inputs.service, serviceDeploymentArn: active.arn },
        timing,
      );
      service = await describeService(ecs, inputs.cluster, inputs.service);
    }
  } else {
    const active = activeRollingDeployment(service);
    if (active) {
      if (!inputs.waitForActive)
        throw activeError(`ECS deployment ${active.id} (${active.rolloutState})`);
      await waitForOtherEcs(
        ecs,
        progress,
        {
          cluster: inputs.cluster,
          service: inputs.service,
          ...(active.id ? { rollingId: active.id } : {}),
        },
        timing,
      );
      service = await describeService(ecs, inputs.cluster, inputs.service);
    }
  }

  const liveArn = liveTaskDefinition(service);
  let taskDefinitionArn: string | undefined;
  let containers: ContainerDefinition[];
  if (inputs.taskDefinition.kind === 'arn') {
    const td = await describeTaskDefinition(
      ecs,
      inputs.taskDefinition.ref,
      INPUT.taskDefinitionArn,
    );
    taskDefinitionArn = td.taskDefinitionArn!;
    containers = td.containerDefinitions ?? [];
  } else {
    const request = inputs.taskDefinition.file.request;
    containers = request.containerDefinitions ?? [];
    if (liveArn && shortTaskDefinition(liveArn).startsWith(`${request.family}:`)) {
      const live = await describeTaskDefinition(ecs, liveArn, INPUT.taskDefinition);
      if (sameTaskDefinition(request, live)) {
        taskDefinitionArn = liveArn;
        deps.log.info(
          `The task definition is the same as the live ${shortTaskDefinition(liveArn)}: not registering a copy`,
        );
      }
    }
  }

  let appSpec: AppSpec | undefined;
  if (controller === 'CODE_DEPLOY') {
    const overrides = {
      taskDefinitionArn: taskDefinitionArn ?? '<registered below>',
      hooks: inputs.codeDeploy.hooks,
      ...(inputs.codeDeploy.containerName
        ? { containerName: inputs.codeDeploy.containerName }
        : {}),
      ...(inputs.codeDeploy.containerPort
        ? { containerPort: inputs.codeDeploy.containerPort }
        : {}),
    };
    const file = inputs.codeDeploy.appspec;
    appSpec = file
      ? appSpecFromFile(file.file, file.document, overrides)
      : appSpecFromService(service, overrides);
    checkContainer(appSpec, containers);
  }

  const base = {
    controller,
    strategy:
      controller === 'CODE_DEPLOY'
        ? (inputs.codeDeploy.deploymentConfig ??
          group?.deploymentConfigName ??
          'CodeDeployDefault.ECSAllAtOnce')
        : strategy,
    waitUntil: inputs.waitUntil,
  } as const;

  // Re-running a successful step must not deploy the same revision a second time.
  const desiredUnchanged =
    inputs.desiredCount === undefined || inputs.desiredCount === service.desiredCount;
  const settled =
    controller === 'CODE_DEPLOY' || native
      ? taskDefinitionArn !== undefined && taskDefinitionArn === liveArn
      : taskDefinitionArn !== undefined && rollingSettledOn(service, taskDefinitionArn);
  if (settled && desiredUnchanged && !inputs.forceNewDeployment && taskDefinitionArn) {
    const previousId =
      controller === 'CODE_DEPLOY'
        ? (group?.lastSuccessfulDeployment?.deploymentId ?? '')
        : (service.currentServiceDeployment ?? service.deployments?.[0]?.id ?? '');
    deps.log.info(
      `Service '${serviceName}' already runs ${shortTaskDefinition(taskDefinitionArn)}: nothing to deploy (set force-new-deployment: true to deploy it again)`,
    );
    return {
      ...base,
      taskDefinitionArn,
      deploymentId: previousId,
      status: 'UNCHANGED',
      unchanged: true,
      durationSeconds: 0,
      phases: [],
      traffic: [],
      rolledBack: false,
      reached: true,
      notes: [`Service already runs ${shortTaskDefinition(taskDefinitionArn)}: no new deployment.`],
      links: [
        { title: 'ECS service', url: links.service },
        { title: 'Task definition', url: links.taskDefinition(taskDefinitionArn) },
      ],
    };
  }

  if (!taskDefinitionArn && inputs.taskDefinition.kind === 'file') {
    const { request, file } = inputs.taskDefinition.file;
    try {
      const out = await ecs.send(new RegisterTaskDefinitionCommand(request));
      taskDefinitionArn = out.taskDefinition?.taskDefinitionArn;
    } catch (err) {
      if (errorName(err) === 'ClientException' || errorName(err) === 'InvalidParameterException') {
        throw new ActionError(`task-definition: ECS refused ${file}: ${(err as Error).message}`);
      }
      throw err;
    }
    if (!taskDefinitionArn) throw new ActionError('RegisterTaskDefinition returned no ARN');
    deps.log.info(`Registered ${shortTaskDefinition(taskDefinitionArn)}`);
  }
  if (!taskDefinitionArn) throw new ActionError('no task definition to deploy');

  const probe = deps.probe ?? ((gate: TestGate) => probeTestTraffic(gate));
  const resultLinks = [
    { title: 'ECS service', url: links.service },
    { title: 'Task definition', url: links.taskDefinition(taskDefinitionArn) },
  ];

  if (controller === 'CODE_DEPLOY' && appSpec) {
    appSpec.Resources[0]!.TargetService.Properties.TaskDefinition = taskDefinitionArn;
    const sentAt = now();
    const deploymentId = await createDeployment(codedeploy, {
      application,
      deploymentGroup,
      ...(inputs.codeDeploy.deploymentConfig
        ? { deploymentConfig: inputs.codeDeploy.deploymentConfig }
        : {}),
      description: inputs.codeDeploy.description ?? defaultDescription(env),
      appSpec,
    });
    const created = { sentAt, answeredAt: now() };
    deps.log.info(
      `Created CodeDeploy deployment ${deploymentId} of ${shortTaskDefinition(taskDefinitionArn)}`,
    );
    resultLinks.unshift({
      title: `CodeDeploy deployment ${deploymentId}`,
      url: links.codeDeploy(deploymentId),
    });
    const common = {
      ...base,
      taskDefinitionArn,
      deploymentId,
      unchanged: false,
      links: resultLinks,
    };
    if (inputs.waitUntil === 'none') {
      return {
        ...common,
        status: 'Created',
        durationSeconds: Math.round((now() - started) / 1000),
        phases: [],
        traffic: [],
        rolledBack: false,
        reached: true,
        notes: [],
      };
    }
    const terminationWait =
      group?.blueGreenDeploymentConfiguration?.terminateBlueInstancesOnDeploymentSuccess
        ?.terminationWaitTimeInMinutes;
    const hooks: Record<string, string> = {};
    for (const hook of appSpec.Hooks ?? []) Object.assign(hooks, hook);
    const outcome = await waitForCodeDeploy(codedeploy, progress, {
      deploymentId,
      targetId: `${clusterName}:${serviceName}`,
      waitUntil: inputs.waitUntil,
      ...(inputs.testGate ? { gate: inputs.testGate } : {}),
      rollbackOnTimeout: inputs.rollbackOnTimeout,
      timeoutText,
      hooks,
      timing,
      probe,
      created,
      ...(terminationWait !== undefined ? { terminationWaitMinutes: terminationWait } : {}),
    });
    return resultOf(common, outcome, Math.round((now() - started) / 1000));
  }

  const knownEvents = service.events ?? [];
  const previousTaskDefinitionArn = service.taskDefinition;
  const startedEcs = await updateService(ecs, {
    cluster: inputs.cluster,
    service: inputs.service,
    taskDefinitionArn,
    forceNewDeployment: inputs.forceNewDeployment,
    ...(inputs.desiredCount !== undefined ? { desiredCount: inputs.desiredCount } : {}),
  });
  let serviceDeploymentArn = startedEcs.serviceDeploymentArn;
  if (native && !serviceDeploymentArn) {
    serviceDeploymentArn = await findNewServiceDeployment(ecs, inputs.cluster, inputs.service);
    if (!serviceDeploymentArn) {
      throw new ActionError(
        `UpdateService started no service deployment on '${serviceName}' that ECS lists`,
      );
    }
  }
  const deploymentId = serviceDeploymentArn ?? startedEcs.deploymentId ?? '';
  deps.log.info(
    `Updated service '${serviceName}' to ${shortTaskDefinition(taskDefinitionArn)} (${strategy}): ${deploymentId}`,
  );
  const common = { ...base, taskDefinitionArn, deploymentId, unchanged: false, links: resultLinks };
  if (inputs.waitUntil === 'none') {
    const primary = startedEcs.service.deployments?.find((d) => d.status === 'PRIMARY');
    return {
      ...common,
      status: native ? 'PENDING' : (primary?.rolloutState ?? 'IN_PROGRESS'),
      durationSeconds: Math.round((now() - started) / 1000),
      phases: [],
      traffic: [],
      rolledBack: false,
      reached: true,
      notes: [],
    };
  }
  const wait = {
    cluster: inputs.cluster,
    service: inputs.service,
    taskDefinitionArn,
    ...(previousTaskDefinitionArn ? { previousTaskDefinitionArn } : {}),
    waitUntil: inputs.waitUntil,
    rollbackOnTimeout: inputs.rollbackOnTimeout,
    timeoutText,
    timing,
    knownEvents,
  };
  const outcome =
    native && serviceDeploymentArn
      ? await waitForNative(ecs, progress, wait, serviceDeploymentArn)
      : await waitForRolling(ecs, progress, wait, startedEcs.deploymentId);
  return resultOf(common, outcome, Math.round((now() - started) / 1000));
}

/** The result of a deploy whose wait ended with `outcome`; the runner's clock fills a gap in AWS's. */
function resultOf(
  common: Omit<DeployResult, keyof WaitOutcome | 'durationSeconds'>,
  outcome: WaitOutcome,
  elapsedSeconds: number,
): DeployResult {
  const result: DeployResult = {
    ...common,
    status: outcome.status,
    durationSeconds: outcome.durationSeconds ?? elapsedSeconds,
    phases: outcome.phases,
    traffic: outcome.traffic,
    rolledBack: outcome.rolledBack,
    reached: outcome.reached,
    notes: outcome.notes,
  };
  if (outcome.failure) result.failure = outcome.failure;
  return result;
}
