import {
  CodeDeployClient,
  ContinueDeploymentCommand,
  CreateDeploymentCommand,
  type DeploymentInfo,
  GetDeploymentCommand,
  GetDeploymentGroupCommand,
  GetDeploymentTargetCommand,
  ListDeploymentsCommand,
  StopDeploymentCommand,
} from '@aws-sdk/client-codedeploy';
import {
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  ECSClient,
  RegisterTaskDefinitionCommand,
} from '@aws-sdk/client-ecs';
import { afterEach, describe, expect, it } from 'vitest';
import { loadScenario, type Scenario } from './scenario.ts';
import { type Sandbox, startSandbox } from './server.ts';
import type { DeploymentGroupScenario } from './services/codedeploy.ts';

const SPEED = 1200;
const APP = 'AppECS-prod-web';
const GROUP = 'DgpECS-prod-web';
const OLD = 'arn:aws:ecs:us-east-1:123456789012:task-definition/web:7';
const sandboxes: Sandbox[] = [];

afterEach(async () => {
  await Promise.all(sandboxes.splice(0).map((s) => s.stop()));
});

interface Setup {
  sb: Sandbox;
  cd: CodeDeployClient;
  ecs: ECSClient;
}

/** The web-bluegreen scenario, its group changed by `edit`, started fast without a registry. */
async function bluegreen(
  edit: (group: DeploymentGroupScenario, scenario: Scenario) => void = () => {},
): Promise<Setup> {
  const scenario = structuredClone(loadScenario('web-bluegreen'));
  const group = scenario.codedeploy?.applications?.[0]?.deploymentGroups?.[0];
  if (group === undefined) throw new Error('scenario without a deployment group');
  edit(group, scenario);
  const sb = await startSandbox(scenario, { speed: SPEED, registry: false });
  sandboxes.push(sb);
  const config = {
    endpoint: sb.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIDSANDBOX', secretAccessKey: 'sandbox' },
    maxAttempts: 1,
  };
  return { sb, cd: new CodeDeployClient(config), ecs: new ECSClient(config) };
}

async function until<T>(probe: () => Promise<T>, done: (v: T) => boolean, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (done(value)) return value;
    if (Date.now() > deadline)
      throw new Error(`condition not met in ${ms} ms: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function register(ecs: ECSClient, image: string): Promise<string> {
  const current = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'web' }));
  const td = current.taskDefinition ?? {};
  const out = await ecs.send(
    new RegisterTaskDefinitionCommand({
      family: 'web',
      networkMode: td.networkMode,
      requiresCompatibilities: td.requiresCompatibilities,
      cpu: td.cpu,
      memory: td.memory,
      executionRoleArn: td.executionRoleArn,
      containerDefinitions: (td.containerDefinitions ?? []).map((c) => ({ ...c, image })),
    }),
  );
  return out.taskDefinition?.taskDefinitionArn ?? '';
}

function appSpec(
  taskDefinition: string,
  options: { hooks?: Record<string, string>; container?: string; port?: number } = {},
) {
  const hooks = Object.entries(options.hooks ?? {}).map(([event, fn]) => `  - ${event}: "${fn}"`);
  return [
    'version: 0.0',
    'Resources:',
    '  - TargetService:',
    '      Type: AWS::ECS::Service',
    '      Properties:',
    `        TaskDefinition: "${taskDefinition}"`,
    '        LoadBalancerInfo:',
    `          ContainerName: "${options.container ?? 'web'}"`,
    `          ContainerPort: ${options.port ?? 8080}`,
    ...(hooks.length > 0 ? ['Hooks:', ...hooks] : []),
  ].join('\n');
}

async function deploy(setup: Setup, spec: string): Promise<string> {
  const out = await setup.cd.send(
    new CreateDeploymentCommand({
      applicationName: APP,
      deploymentGroupName: GROUP,
      revision: { revisionType: 'AppSpecContent', appSpecContent: { content: spec } },
    }),
  );
  return out.deploymentId ?? '';
}

async function info(cd: CodeDeployClient, deploymentId: string): Promise<DeploymentInfo> {
  const out = await cd.send(new GetDeploymentCommand({ deploymentId }));
  return out.deploymentInfo ?? {};
}

const finished = (d: DeploymentInfo) => ['Succeeded', 'Failed', 'Stopped'].includes(d.status ?? '');

function history(sb: Sandbox, id: string) {
  const d = sb.codedeploy.state.deployments.find((x) => x.id === id);
  if (d === undefined) throw new Error(`no deployment ${id}`);
  const start = d.createTime;
  return { d, statuses: d.history.map((h) => [h.status, Math.round((h.at - start) / 1000)]) };
}

/** The ECS target, once the deployment has started (before, CodeDeploy refuses to answer). */
async function target(cd: CodeDeployClient, deploymentId: string) {
  await until(
    () => info(cd, deploymentId),
    (d) => d.status !== 'Created',
  );
  const out = await cd.send(new GetDeploymentTargetCommand({ deploymentId, targetId: 'prod:web' }));
  return out.deploymentTarget?.ecsTarget ?? {};
}

describe('CodeDeploy deployment groups', () => {
  it('describes the group the scenario defines, and names what does not exist', async () => {
    const { cd } = await bluegreen();
    const out = await cd.send(
      new GetDeploymentGroupCommand({ applicationName: APP, deploymentGroupName: GROUP }),
    );
    expect(out.deploymentGroupInfo).toMatchObject({
      deploymentGroupName: GROUP,
      computePlatform: 'ECS',
      deploymentConfigName: 'CodeDeployDefault.ECSAllAtOnce',
      ecsServices: [{ clusterName: 'prod', serviceName: 'web' }],
      deploymentStyle: { deploymentType: 'BLUE_GREEN', deploymentOption: 'WITH_TRAFFIC_CONTROL' },
      blueGreenDeploymentConfiguration: {
        terminateBlueInstancesOnDeploymentSuccess: {
          action: 'TERMINATE',
          terminationWaitTimeInMinutes: 3,
        },
      },
    });
    await expect(
      cd.send(
        new GetDeploymentGroupCommand({ applicationName: 'nope', deploymentGroupName: GROUP }),
      ),
    ).rejects.toMatchObject({
      name: 'ApplicationDoesNotExistException',
      message: 'No application found for name: nope',
    });
    await expect(
      cd.send(new GetDeploymentGroupCommand({ applicationName: APP, deploymentGroupName: 'nope' })),
    ).rejects.toMatchObject({ name: 'DeploymentGroupDoesNotExistException' });
  });
});

describe('CodeDeploy blue/green deployments', () => {
  it('runs an all-at-once deployment through every lifecycle event to Succeeded', async () => {
    const setup = await bluegreen();
    const { sb, cd, ecs } = setup;
    const arn = await register(ecs, 'web:v1.1.0');
    const id = await deploy(setup, appSpec(arn));
    expect(id).toMatch(/^d-[A-Z0-9]{9}$/);

    const baking = await until(
      () => info(cd, id),
      (d) => d.status === 'Baking',
    );
    expect(baking.instanceTerminationWaitTimeStarted).toBe(true);
    const shifted = await target(cd, id);
    expect(
      shifted.taskSetsInfo?.map((t) => [t.taskSetLabel, t.trafficWeight, t.targetGroup?.name]),
    ).toEqual([
      ['Blue', 0, 'web-blue'],
      ['Green', 100, 'web-green'],
    ]);

    const done = await until(() => info(cd, id), finished);
    expect(done.status).toBe('Succeeded');
    expect(done.deploymentOverview).toMatchObject({ Succeeded: 1, InProgress: 0 });
    expect(done.completeTime).toBeInstanceOf(Date);
    // 5 s to start; Install waits 10 + 30 + 15 s for healthy tasks; 10 s of test traffic; the
    // switch takes 10 s; five hook events without hooks take 1 s each; then a 3 min wait.
    expect(history(sb, id).statuses).toEqual([
      ['Created', 0],
      ['InProgress', 5],
      ['Baking', 85],
      ['Succeeded', 265],
    ]);

    const ecsTarget = await target(cd, id);
    expect(ecsTarget.status).toBe('Succeeded');
    expect(ecsTarget.lifecycleEvents?.map((e) => [e.lifecycleEventName, e.status])).toEqual([
      ['BeforeInstall', 'Succeeded'],
      ['Install', 'Succeeded'],
      ['AfterInstall', 'Succeeded'],
      ['AllowTestTraffic', 'Succeeded'],
      ['AfterAllowTestTraffic', 'Succeeded'],
      ['BeforeAllowTraffic', 'Succeeded'],
      ['AllowTraffic', 'Succeeded'],
      ['AfterAllowTraffic', 'Succeeded'],
    ]);
    const install = ecsTarget.lifecycleEvents?.[1];
    expect((install?.endTime?.getTime() ?? 0) - (install?.startTime?.getTime() ?? 0)).toBe(55_000);

    const service = (
      await ecs.send(new DescribeServicesCommand({ cluster: 'prod', services: ['web'] }))
    ).services?.[0];
    expect(service?.taskDefinition).toBe(arn);
    expect(service?.taskSets?.find((t) => t.status === 'PRIMARY')).toMatchObject({
      taskDefinition: arn,
      externalId: id,
      runningCount: 2,
    });
    const group = await cd.send(
      new GetDeploymentGroupCommand({ applicationName: APP, deploymentGroupName: GROUP }),
    );
    expect(group.deploymentGroupInfo?.lastSuccessfulDeployment?.deploymentId).toBe(id);
  });

  it('allows one active deployment per group and has no target before it starts', async () => {
    // An hour to start, so the deployment is certainly still Created when asked.
    const setup = await bluegreen((_, s) => {
      if (s.codedeploy) s.codedeploy.timings = { start: 3600 };
    });
    const spec = appSpec(await register(setup.ecs, 'web:v1.1.0'));
    const id = await deploy(setup, spec);
    expect((await info(setup.cd, id)).status).toBe('Created');
    await expect(
      setup.cd.send(new GetDeploymentTargetCommand({ deploymentId: id, targetId: 'prod:web' })),
    ).rejects.toMatchObject({ name: 'DeploymentNotStartedException' });
    await expect(deploy(setup, spec)).rejects.toMatchObject({
      name: 'DeploymentLimitExceededException',
      message: `The Deployment Group '${GROUP}' already has an active Deployment '${id}'`,
    });
    await expect(
      setup.cd.send(new GetDeploymentCommand({ deploymentId: 'd-NOSUCHONE' })),
    ).rejects.toMatchObject({ name: 'DeploymentDoesNotExistException' });
  });

  it('shifts 10 % first and the rest five minutes later with ECSCanary10Percent5Minutes', async () => {
    const setup = await bluegreen((g) => {
      g.deploymentConfigName = 'CodeDeployDefault.ECSCanary10Percent5Minutes';
    });
    const id = await deploy(setup, appSpec(await register(setup.ecs, 'web:v1.1.0')));
    const canary = await until(
      () => target(setup.cd, id),
      (t) => t.taskSetsInfo?.[1]?.trafficWeight === 10,
    );
    expect(canary.taskSetsInfo?.[0]?.trafficWeight).toBe(90);
    await until(
      () => info(setup.cd, id),
      (d) => d.status === 'Baking',
    );
    const { d } = history(setup.sb, id);
    const [first, second] = d.trafficHistory;
    expect([first?.weight, second?.weight]).toEqual([10, 100]);
    expect((second?.at ?? 0) - (first?.at ?? 0)).toBe(300_000);
  });

  it('waits in Ready for ContinueDeployment when the group asks for a manual reroute', async () => {
    const setup = await bluegreen((g) => {
      g.blueGreenDeploymentConfiguration = {
        deploymentReadyOption: { actionOnTimeout: 'STOP_DEPLOYMENT', waitTimeInMinutes: 60 },
        terminateBlueInstancesOnDeploymentSuccess: {
          action: 'TERMINATE',
          terminationWaitTimeInMinutes: 60,
        },
      };
    });
    const { cd } = setup;
    const id = await deploy(setup, appSpec(await register(setup.ecs, 'web:v1.1.0')));
    await expect(
      cd.send(new ContinueDeploymentCommand({ deploymentId: id })),
    ).rejects.toMatchObject({
      name: 'DeploymentIsNotInReadyStateException',
    });
    const ready = await until(
      () => info(cd, id),
      (d) => d.status === 'Ready',
    );
    expect(ready.deploymentOverview?.Ready).toBe(1);
    const testing = await target(cd, id);
    expect(testing.status).toBe('Ready');
    expect(testing.taskSetsInfo?.[1]).toMatchObject({
      taskSetLabel: 'Green',
      trafficWeight: 0,
      runningCount: 2,
    });

    await cd.send(
      new ContinueDeploymentCommand({ deploymentId: id, deploymentWaitType: 'READY_WAIT' }),
    );
    await until(
      () => info(cd, id),
      (d) => d.status === 'Baking',
    );
    // The termination wait is an hour; continuing it terminates the original task set now.
    await cd.send(
      new ContinueDeploymentCommand({ deploymentId: id, deploymentWaitType: 'TERMINATION_WAIT' }),
    );
    const done = await until(() => info(cd, id), finished);
    expect(done.status).toBe('Succeeded');
    expect(history(setup.sb, id).statuses.map(([s]) => s)).toEqual([
      'Created',
      'InProgress',
      'Ready',
      'InProgress',
      'Baking',
      'Succeeded',
    ]);
    await expect(
      cd.send(new ContinueDeploymentCommand({ deploymentId: id })),
    ).rejects.toMatchObject({
      name: 'DeploymentAlreadyCompletedException',
    });
  });

  it('stops a deployment left in Ready past its wait time', async () => {
    const setup = await bluegreen((g) => {
      g.blueGreenDeploymentConfiguration = {
        deploymentReadyOption: { actionOnTimeout: 'STOP_DEPLOYMENT', waitTimeInMinutes: 5 },
        terminateBlueInstancesOnDeploymentSuccess: {
          action: 'TERMINATE',
          terminationWaitTimeInMinutes: 5,
        },
      };
    });
    const id = await deploy(setup, appSpec(await register(setup.ecs, 'web:v1.1.0')));
    const stopped = await until(() => info(setup.cd, id), finished);
    expect(stopped.status).toBe('Stopped');
    expect(stopped.errorInformation?.code).toBe('TIMEOUT');
    const statuses = history(setup.sb, id).statuses;
    const ready = statuses.find(([s]) => s === 'Ready')?.[1] as number;
    expect(statuses.at(-1)).toEqual(['Stopped', ready + 300]);
  });

  it('stops on request, rolls back with a new deployment and puts traffic back on blue', async () => {
    const setup = await bluegreen((g) => {
      g.deploymentConfigName = 'CodeDeployDefault.ECSLinear10PercentEvery1Minutes';
    });
    const { cd, ecs } = setup;
    const id = await deploy(setup, appSpec(await register(ecs, 'web:v1.1.0')));
    await until(
      () => target(cd, id),
      (t) => (t.taskSetsInfo?.[1]?.trafficWeight ?? 0) >= 20,
    );
    const stop = await cd.send(
      new StopDeploymentCommand({ deploymentId: id, autoRollbackEnabled: true }),
    );
    expect(stop.status).toBe('Pending');
    const stopped = await until(() => info(cd, id), finished);
    expect(stopped.status).toBe('Stopped');
    expect(stopped.errorInformation?.code).toBe('MANUAL_STOP');
    const rollbackId = stopped.rollbackInfo?.rollbackDeploymentId ?? '';
    expect(rollbackId).toMatch(/^d-/);

    const rollback = await until(() => info(cd, rollbackId), finished);
    expect(rollback).toMatchObject({
      status: 'Succeeded',
      creator: 'codeDeployRollback',
      rollbackInfo: { rollbackTriggeringDeploymentId: id },
    });
    const back = await target(cd, rollbackId);
    expect(back.taskSetsInfo?.map((t) => [t.taskSetLabel, t.trafficWeight])).toEqual([
      ['Blue', 100],
      ['Green', 0],
    ]);
    const service = (
      await ecs.send(new DescribeServicesCommand({ cluster: 'prod', services: ['web'] }))
    ).services?.[0];
    expect(service?.taskDefinition).toBe(OLD);
    const listed = await cd.send(
      new ListDeploymentsCommand({
        applicationName: APP,
        deploymentGroupName: GROUP,
        includeOnlyStatuses: ['Stopped'],
      }),
    );
    expect(listed.deployments).toEqual([id]);
    const all = await cd.send(
      new ListDeploymentsCommand({ applicationName: APP, deploymentGroupName: GROUP }),
    );
    expect(all.deployments).toEqual([rollbackId, id]);
  });

  it('fails when a hook reports Failed, says why, and rolls back automatically', async () => {
    const setup = await bluegreen();
    const { cd } = setup;
    const spec = appSpec(await register(setup.ecs, 'web:v1.1.0'), {
      hooks: { AfterAllowTestTraffic: 'web-smoke-test-fails' },
    });
    const id = await deploy(setup, spec);
    const failed = await until(() => info(cd, id), finished);
    expect(failed.status).toBe('Failed');
    expect(failed.errorInformation).toEqual({
      code: 'HOOK_EXECUTION_FAILURE',
      message: expect.stringContaining('AfterAllowTestTraffic'),
    });
    const events = (await target(cd, id)).lifecycleEvents ?? [];
    expect(events.map((e) => e.status)).toEqual([
      'Succeeded',
      'Succeeded',
      'Succeeded',
      'Succeeded',
      'Failed',
      'Skipped',
      'Skipped',
      'Skipped',
    ]);
    expect(events[4]?.diagnostics?.scriptName).toBe('web-smoke-test-fails');
    // The hook ran for its 30 simulated seconds before reporting.
    expect((events[4]?.endTime?.getTime() ?? 0) - (events[4]?.startTime?.getTime() ?? 0)).toBe(
      30_000,
    );
    const rollbackId = failed.rollbackInfo?.rollbackDeploymentId ?? '';
    expect((await until(() => info(cd, rollbackId), finished)).status).toBe('Succeeded');
  });

  it('fails Install when the replacement tasks never become healthy', async () => {
    const setup = await bluegreen((_, s) => {
      if (s.codedeploy) s.codedeploy.timings = { replacementTimeout: 600 };
    });
    const id = await deploy(setup, appSpec(await register(setup.ecs, 'web:broken')));
    const failed = await until(() => info(setup.cd, id), finished);
    expect(failed.status).toBe('Failed');
    expect(failed.errorInformation).toEqual({
      code: 'ECS_UPDATE_ERROR',
      message:
        'The deployment timed out while waiting for the replacement task set to become healthy. This time out period is 10 minutes.',
    });
  });

  it('fails a deployment whose AppSpec names a container port the task definition lacks', async () => {
    const setup = await bluegreen();
    const id = await deploy(
      setup,
      appSpec(await register(setup.ecs, 'web:v1.1.0'), { port: 9090 }),
    );
    const failed = await until(() => info(setup.cd, id), finished);
    expect(failed.errorInformation).toMatchObject({
      code: 'ECS_UPDATE_ERROR',
      message: expect.stringContaining('did not have a container port 9090 defined'),
    });
  });

  it('refuses an AppSpec it cannot read', async () => {
    const setup = await bluegreen();
    await expect(deploy(setup, 'version: 0.0\nResources: []')).rejects.toMatchObject({
      name: 'InvalidRevisionException',
    });
    await expect(deploy(setup, '{"Resources": [')).rejects.toMatchObject({
      name: 'InvalidRevisionException',
    });
  });

  it('never finishes when the scenario stalls it, until someone stops it', async () => {
    const setup = await bluegreen((_, s) => {
      if (s.codedeploy) s.codedeploy.neverFinish = { lifecycleEvent: 'AllowTraffic' };
    });
    const { sb, cd } = setup;
    const id = await deploy(setup, appSpec(await register(setup.ecs, 'web:v1.1.0')));
    await sb.clock.sleep(30 * 60_000);
    const stuck = await target(cd, id);
    expect((await info(cd, id)).status).toBe('InProgress');
    expect(
      stuck.lifecycleEvents?.find((e) => e.lifecycleEventName === 'AllowTraffic')?.status,
    ).toBe('InProgress');
    await cd.send(new StopDeploymentCommand({ deploymentId: id, autoRollbackEnabled: false }));
    expect((await until(() => info(cd, id), finished)).status).toBe('Stopped');
  });

  it('records transitions at their simulated time however rarely a client looks', async () => {
    const setup = await bluegreen();
    const id = await deploy(setup, appSpec(await register(setup.ecs, 'web:v1.1.0')));
    // Nobody asks for 10 simulated minutes; the history still has the exact moments.
    await setup.sb.clock.sleep(600_000);
    expect((await info(setup.cd, id)).status).toBe('Succeeded');
    expect(history(setup.sb, id).statuses).toEqual([
      ['Created', 0],
      ['InProgress', 5],
      ['Baking', 85],
      ['Succeeded', 265],
    ]);
  });
});
