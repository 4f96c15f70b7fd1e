import {
  DeregisterTaskDefinitionCommand,
  DescribeServiceDeploymentsCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  ECSClient,
  ListServiceDeploymentsCommand,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
  type RegisterTaskDefinitionCommandInput,
  type Service,
  type ServiceDeployment,
  StopServiceDeploymentCommand,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import { afterEach, describe, expect, it } from 'vitest';
import { loadScenario, type Scenario } from './scenario.ts';
import { type Sandbox, startSandbox } from './server.ts';

const SPEED = 1200;
const sandboxes: Sandbox[] = [];

afterEach(async () => {
  await Promise.all(sandboxes.splice(0).map((s) => s.stop()));
});

/** The ecs-rolling scenario, changed by `edit`, started fast and without a registry. */
async function rolling(
  edit: (s: Scenario) => void = () => {},
): Promise<{ sb: Sandbox; ecs: ECSClient }> {
  const scenario = structuredClone(loadScenario('ecs-rolling'));
  edit(scenario);
  const sb = await startSandbox(scenario, { speed: SPEED, registry: false });
  sandboxes.push(sb);
  const ecs = new ECSClient({
    endpoint: sb.endpoint,
    region: sb.scenario.region,
    credentials: { accessKeyId: 'AKIDSANDBOX', secretAccessKey: 'sandbox' },
    maxAttempts: 1,
  });
  return { sb, ecs };
}

function apiService(s: Scenario) {
  const service = s.ecs?.clusters?.[0]?.services?.[0];
  if (service === undefined) throw new Error('scenario without prod/api');
  return service;
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

async function registerImage(ecs: ECSClient, image: string): Promise<string> {
  const current = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'api' }));
  const td = current.taskDefinition ?? {};
  const input: RegisterTaskDefinitionCommandInput = {
    family: 'api',
    networkMode: td.networkMode,
    requiresCompatibilities: td.requiresCompatibilities,
    cpu: td.cpu,
    memory: td.memory,
    executionRoleArn: td.executionRoleArn,
    containerDefinitions: (td.containerDefinitions ?? []).map((c) => ({ ...c, image })),
  };
  const out = await ecs.send(new RegisterTaskDefinitionCommand(input));
  return out.taskDefinition?.taskDefinitionArn ?? '';
}

async function describeApi(ecs: ECSClient): Promise<Service> {
  const out = await ecs.send(new DescribeServicesCommand({ cluster: 'prod', services: ['api'] }));
  const service = out.services?.[0];
  if (service === undefined) throw new Error('prod/api missing');
  return service;
}

async function latestServiceDeployment(ecs: ECSClient): Promise<ServiceDeployment> {
  const list = await ecs.send(
    new ListServiceDeploymentsCommand({ cluster: 'prod', service: 'api' }),
  );
  const arn = list.serviceDeployments?.[0]?.serviceDeploymentArn;
  const out = await ecs.send(
    new DescribeServiceDeploymentsCommand({ serviceDeploymentArns: arn ? [arn] : [] }),
  );
  const sd = out.serviceDeployments?.[0];
  if (sd === undefined) throw new Error('no service deployment');
  return sd;
}

const OLD = 'arn:aws:ecs:eu-west-1:210987654321:task-definition/api:12';

describe('ECS task definitions', () => {
  it('registers the next revision of a family and describes it with its tags on request', async () => {
    const { ecs } = await rolling();
    const registered = await ecs.send(
      new RegisterTaskDefinitionCommand({
        family: 'api',
        networkMode: 'awsvpc',
        requiresCompatibilities: ['FARGATE'],
        cpu: '1 vCPU',
        memory: '2 GB',
        containerDefinitions: [
          { name: 'api', image: 'api:v2.4.0', portMappings: [{ containerPort: 3000 }] },
        ],
        tags: [{ key: 'release', value: 'v2.4.0' }],
      }),
    );
    expect(registered.taskDefinition?.taskDefinitionArn).toBe(
      'arn:aws:ecs:eu-west-1:210987654321:task-definition/api:13',
    );
    expect(registered.taskDefinition?.registeredAt).toBeInstanceOf(Date);
    expect(registered.taskDefinition?.containerDefinitions?.[0]?.portMappings).toEqual([
      { containerPort: 3000, hostPort: 3000, protocol: 'tcp' },
    ]);

    const latest = await ecs.send(
      new DescribeTaskDefinitionCommand({ taskDefinition: 'api', include: ['TAGS'] }),
    );
    expect(latest.taskDefinition?.revision).toBe(13);
    expect(latest.tags).toEqual([{ key: 'release', value: 'v2.4.0' }]);
    const untagged = await ecs.send(
      new DescribeTaskDefinitionCommand({ taskDefinition: 'api:12' }),
    );
    expect(untagged.taskDefinition?.revision).toBe(12);
    expect(untagged.tags).toBeUndefined();
  });

  it('refuses what ECS refuses: impossible Fargate sizes, containers without an image', async () => {
    const { ecs } = await rolling();
    const base = {
      family: 'api',
      networkMode: 'awsvpc' as const,
      requiresCompatibilities: ['FARGATE' as const],
    };
    await expect(
      ecs.send(
        new RegisterTaskDefinitionCommand({
          ...base,
          cpu: '256',
          memory: '4096',
          containerDefinitions: [{ name: 'api', image: 'api:1' }],
        }),
      ),
    ).rejects.toMatchObject({
      name: 'ClientException',
      message: expect.stringContaining(
        'No Fargate configuration exists for given values: 256 CPU, 4096 memory',
      ),
    });
    await expect(
      ecs.send(
        new RegisterTaskDefinitionCommand({
          ...base,
          cpu: '256',
          memory: '512',
          containerDefinitions: [{ name: 'api' }],
        }),
      ),
    ).rejects.toMatchObject({
      name: 'ClientException',
      message: 'Container.image should not be null or empty.',
    });
  });

  it('cannot describe a task definition that does not exist', async () => {
    const { ecs } = await rolling();
    await expect(
      ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'nope:1' })),
    ).rejects.toMatchObject({
      name: 'ClientException',
      message: 'Unable to describe task definition.',
      $metadata: { httpStatusCode: 400 },
    });
  });

  it('deregisters a revision, which makes the family resolve to the previous active one', async () => {
    const { ecs } = await rolling();
    await registerImage(ecs, 'api:v2.4.0');
    const out = await ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: 'api:13' }));
    expect(out.taskDefinition?.status).toBe('INACTIVE');
    expect(out.taskDefinition?.deregisteredAt).toBeInstanceOf(Date);
    const family = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'api' }));
    expect(family.taskDefinition?.revision).toBe(12);
    await expect(
      ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: 'api' })),
    ).rejects.toMatchObject({ name: 'ClientException' });
  });
});

describe('ECS services', () => {
  it('describes a steady service and reports unknown services as failures', async () => {
    const { ecs } = await rolling();
    const out = await ecs.send(
      new DescribeServicesCommand({ cluster: 'prod', services: ['api', 'ghost'] }),
    );
    const api = out.services?.[0];
    expect(api).toMatchObject({
      serviceName: 'api',
      status: 'ACTIVE',
      desiredCount: 3,
      runningCount: 3,
      taskDefinition: OLD,
      deploymentController: { type: 'ECS' },
    });
    expect(api?.deployments).toHaveLength(1);
    expect(api?.deployments?.[0]).toMatchObject({ status: 'PRIMARY', rolloutState: 'COMPLETED' });
    expect(api?.events?.[0]?.message).toBe('(service api) has reached a steady state.');
    expect(out.failures).toEqual([
      { arn: 'arn:aws:ecs:eu-west-1:210987654321:service/prod/ghost', reason: 'MISSING' },
    ]);
  });

  it('answers ClusterNotFoundException and ServiceNotFoundException like ECS', async () => {
    const { ecs } = await rolling();
    await expect(
      ecs.send(new DescribeServicesCommand({ cluster: 'staging', services: ['api'] })),
    ).rejects.toMatchObject({ name: 'ClusterNotFoundException', message: 'Cluster not found.' });
    await expect(
      ecs.send(new UpdateServiceCommand({ cluster: 'prod', service: 'ghost', desiredCount: 1 })),
    ).rejects.toMatchObject({ name: 'ServiceNotFoundException' });
    await expect(
      ecs.send(
        new UpdateServiceCommand({ cluster: 'prod', service: 'api', taskDefinition: 'api:99' }),
      ),
    ).rejects.toMatchObject({ name: 'ClientException', message: 'TaskDefinition not found.' });
  });

  it('rolls a new task definition out: new tasks start, old ones drain, the service is steady', async () => {
    const { sb, ecs } = await rolling();
    const arn = await registerImage(ecs, 'api:v2.4.0');
    const updated = await ecs.send(
      new UpdateServiceCommand({ cluster: 'prod', service: 'api', taskDefinition: arn }),
    );
    expect(updated.service?.taskDefinition).toBe(arn);
    expect(updated.service?.deployments?.map((d) => [d.status, d.rolloutState])).toEqual([
      ['PRIMARY', 'IN_PROGRESS'],
      ['ACTIVE', 'COMPLETED'],
    ]);

    const done = await until(
      () => describeApi(ecs),
      (s) => s.deployments?.[0]?.rolloutState === 'COMPLETED' && s.deployments.length === 1,
    );
    expect(done.deployments?.[0]).toMatchObject({
      taskDefinition: arn,
      runningCount: 3,
      failedTasks: 0,
      rolloutStateReason: expect.stringMatching(/^ECS deployment ecs-svc\/\d{19} completed\.$/),
    });
    const messages = done.events?.map((e) => e.message) ?? [];
    expect(messages[0]).toBe('(service api) has reached a steady state.');
    expect(messages).toContainEqual(
      expect.stringMatching(/^\(service api\) has started 3 tasks: \(task [0-9a-f]{32}\)/),
    );
    expect(messages).toContainEqual(
      expect.stringMatching(/^\(service api\) has stopped 3 running tasks:/),
    );

    // 1 s to start, 10 + 30 s to run, 15 s health check, 30 s drain, 15 s to steady state.
    const deployment = sb.ecs.state.clusters.get('prod')?.services.get('api')?.deployments.at(-1);
    const [started, completed] = deployment?.history ?? [];
    expect(completed?.rolloutState).toBe('COMPLETED');
    expect((completed?.at ?? 0) - (started?.at ?? 0)).toBeCloseTo(101_000, 3);

    const sd = await latestServiceDeployment(ecs);
    expect(sd.status).toBe('SUCCESSFUL');
    expect(sd.targetServiceRevision?.runningTaskCount).toBe(3);
  });

  it('rolls back with the circuit breaker when the new tasks fail, leaving the old revision running', async () => {
    const { ecs } = await rolling();
    const broken = await registerImage(
      ecs,
      '210987654321.dkr.ecr.eu-west-1.amazonaws.com/api:broken',
    );
    await ecs.send(
      new UpdateServiceCommand({ cluster: 'prod', service: 'api', taskDefinition: broken }),
    );

    const sd = await until(
      () => latestServiceDeployment(ecs),
      (d) => d.status === 'ROLLBACK_SUCCESSFUL',
    );
    expect(sd.rollback?.reason).toBe('Circuit breaker rollback');
    expect(sd.deploymentCircuitBreaker).toEqual({
      status: 'TRIGGERED',
      failureCount: 3,
      threshold: 3,
    });

    const service = await describeApi(ecs);
    expect(service.taskDefinition).toBe(OLD);
    expect(service.runningCount).toBe(3);
    expect(service.deployments?.map((d) => [d.status, d.taskDefinition, d.rolloutState])).toEqual([
      ['PRIMARY', OLD, 'COMPLETED'],
    ]);
    const messages = service.events?.map((e) => e.message) ?? [];
    expect(messages).toContainEqual(
      expect.stringMatching(
        /deployment ecs-svc\/\d+\) deployment failed: tasks failed to start\.$/,
      ),
    );
    expect(messages).toContainEqual(
      expect.stringMatching(/^\(service api\) rolling back to deployment ecs-svc\/\d+\.$/),
    );

    const stopped = await ecs.send(
      new ListTasksCommand({ cluster: 'prod', serviceName: 'api', desiredStatus: 'STOPPED' }),
    );
    expect(stopped.taskArns).toHaveLength(3);
    const tasks = await ecs.send(
      new DescribeTasksCommand({ cluster: 'prod', tasks: stopped.taskArns }),
    );
    expect(tasks.tasks?.[0]).toMatchObject({
      lastStatus: 'STOPPED',
      taskDefinitionArn: broken,
      stoppedReason: expect.stringContaining('Task failed ELB health checks in (target-group'),
    });
  });

  it('keeps retrying failing tasks without a circuit breaker: the rollout never completes', async () => {
    const { sb, ecs } = await rolling((s) => {
      apiService(s).deploymentConfiguration = { strategy: 'ROLLING' };
    });
    const broken = await registerImage(ecs, 'api:broken');
    await ecs.send(
      new UpdateServiceCommand({ cluster: 'prod', service: 'api', taskDefinition: broken }),
    );
    await sb.clock.sleep(600_000);
    const service = await describeApi(ecs);
    expect(service.deployments?.[0]).toMatchObject({
      rolloutState: 'IN_PROGRESS',
      taskDefinition: broken,
    });
    expect(service.deployments?.[0]?.failedTasks).toBeGreaterThanOrEqual(6);
    expect(service.events?.map((e) => e.message)).toContainEqual(
      expect.stringContaining('is unable to consistently start tasks successfully'),
    );
  });

  it('lists and describes running tasks, and reports unknown ones as MISSING', async () => {
    const { ecs } = await rolling();
    const list = await ecs.send(new ListTasksCommand({ cluster: 'prod', serviceName: 'api' }));
    expect(list.taskArns).toHaveLength(3);
    const out = await ecs.send(
      new DescribeTasksCommand({ cluster: 'prod', tasks: [...(list.taskArns ?? []), 'deadbeef'] }),
    );
    expect(out.tasks?.map((t) => t.lastStatus)).toEqual(['RUNNING', 'RUNNING', 'RUNNING']);
    expect(out.tasks?.[0]).toMatchObject({
      taskDefinitionArn: OLD,
      group: 'service:api',
      launchType: 'FARGATE',
      startedBy: expect.stringMatching(/^ecs-svc\//),
      containers: [expect.objectContaining({ name: 'api', lastStatus: 'RUNNING' })],
    });
    expect(out.failures).toEqual([{ arn: 'deadbeef', reason: 'MISSING' }]);
  });

  it('refuses a task definition update on a CODE_DEPLOY service', async () => {
    const { ecs } = await rolling((s) => {
      apiService(s).deploymentController = { type: 'CODE_DEPLOY' };
    });
    const arn = await registerImage(ecs, 'api:v2.4.0');
    await expect(
      ecs.send(new UpdateServiceCommand({ cluster: 'prod', service: 'api', taskDefinition: arn })),
    ).rejects.toMatchObject({
      name: 'InvalidParameterException',
      message: expect.stringContaining('Use AWS CodeDeploy to trigger a new deployment.'),
    });
  });

  it('does not finish a rollout when the scenario says so', async () => {
    const { sb, ecs } = await rolling((s) => {
      if (s.ecs) s.ecs.neverFinish = { services: ['api'] };
    });
    const arn = await registerImage(ecs, 'api:v2.4.0');
    await ecs.send(
      new UpdateServiceCommand({ cluster: 'prod', service: 'api', taskDefinition: arn }),
    );
    await sb.clock.sleep(900_000);
    const service = await describeApi(ecs);
    expect(service.deployments?.[0]).toMatchObject({
      rolloutState: 'IN_PROGRESS',
      runningCount: 3,
    });
    expect((await latestServiceDeployment(ecs)).status).toBe('IN_PROGRESS');
  });
});

describe('ECS native blue/green', () => {
  const hookArn = 'arn:aws:lambda:eu-west-1:210987654321:function:api-smoke';

  async function blueGreen(extra: Record<string, unknown> = {}, failingHooks: string[] = []) {
    return rolling((s) => {
      apiService(s).deploymentConfiguration = {
        strategy: 'BLUE_GREEN',
        bakeTimeInMinutes: 2,
        deploymentCircuitBreaker: { enable: true, rollback: true },
        lifecycleHooks: [
          {
            hookTargetArn: hookArn,
            roleArn: 'arn:aws:iam::210987654321:role/ecs-hooks',
            lifecycleStages: ['POST_TEST_TRAFFIC_SHIFT'],
          },
        ],
        ...extra,
      };
      if (s.ecs) s.ecs.failingHooks = failingHooks;
    });
  }

  it('goes through every lifecycle stage and succeeds on the new revision', async () => {
    const { sb, ecs } = await blueGreen();
    const arn = await registerImage(ecs, 'api:v2.4.0');
    await ecs.send(
      new UpdateServiceCommand({ cluster: 'prod', service: 'api', taskDefinition: arn }),
    );
    const sd = await until(
      () => latestServiceDeployment(ecs),
      (d) => d.status === 'SUCCESSFUL',
    );
    expect(sd.targetServiceRevision).toMatchObject({
      requestedProductionTrafficWeight: 100,
      requestedTestTrafficWeight: 100,
      runningTaskCount: 3,
    });
    expect(sd.lifecycleHookDetails).toEqual([
      expect.objectContaining({ targetArn: hookArn, status: 'SUCCEEDED' }),
    ]);
    expect(sd.finishedAt).toBeInstanceOf(Date);

    const record = sb.ecs.state.clusters
      .get('prod')
      ?.services.get('api')
      ?.serviceDeployments.at(-1);
    const stages = [
      ...new Set(record?.history.flatMap((h) => (h.lifecycleStage ? [h.lifecycleStage] : []))),
    ];
    expect(stages).toEqual([
      'RECONCILE_SERVICE',
      'PRE_SCALE_UP',
      'SCALE_UP',
      'POST_SCALE_UP',
      'TEST_TRAFFIC_SHIFT',
      'POST_TEST_TRAFFIC_SHIFT',
      'PRODUCTION_TRAFFIC_SHIFT',
      'POST_PRODUCTION_TRAFFIC_SHIFT',
      'BAKE_TIME',
      'CLEAN_UP',
    ]);
    const at = (stage: string) => record?.history.find((h) => h.lifecycleStage === stage)?.at ?? 0;
    expect(at('CLEAN_UP') - at('BAKE_TIME')).toBeCloseTo(120_000, 3);
    expect((await describeApi(ecs)).taskDefinition).toBe(arn);
  });

  it('rolls back when a lifecycle hook fails, and reports ROLLBACK_SUCCESSFUL', async () => {
    const { ecs } = await blueGreen({}, ['api-smoke']);
    const arn = await registerImage(ecs, 'api:v2.4.0');
    await ecs.send(
      new UpdateServiceCommand({ cluster: 'prod', service: 'api', taskDefinition: arn }),
    );
    const sd = await until(
      () => latestServiceDeployment(ecs),
      (d) => d.status === 'ROLLBACK_SUCCESSFUL',
    );
    expect(sd.rollback?.reason).toBe('Lifecycle hook failed during POST_TEST_TRAFFIC_SHIFT.');
    expect(sd.lifecycleHookDetails?.[0]?.status).toBe('FAILED');
    expect(sd.sourceServiceRevisions?.[0]?.requestedProductionTrafficWeight).toBe(100);
    const service = await describeApi(ecs);
    expect(service.taskDefinition).toBe(OLD);
    expect(service.runningCount).toBe(3);
  });

  it('shifts production traffic in linear steps', async () => {
    const { sb, ecs } = await blueGreen({
      strategy: 'LINEAR',
      lifecycleHooks: [],
      linearConfiguration: { stepPercent: 25, stepBakeTimeInMinutes: 1 },
    });
    const arn = await registerImage(ecs, 'api:v2.4.0');
    await ecs.send(
      new UpdateServiceCommand({ cluster: 'prod', service: 'api', taskDefinition: arn }),
    );
    await until(
      () => latestServiceDeployment(ecs),
      (d) => d.status === 'SUCCESSFUL',
    );
    const record = sb.ecs.state.clusters
      .get('prod')
      ?.services.get('api')
      ?.serviceDeployments.at(-1);
    const at = (stage: string) => record?.history.find((h) => h.lifecycleStage === stage)?.at ?? 0;
    // Four steps of 25 %, a minute apart, after the stage's own five seconds.
    expect(at('POST_PRODUCTION_TRAFFIC_SHIFT') - at('PRODUCTION_TRAFFIC_SHIFT')).toBeCloseTo(
      185_000,
      3,
    );
  });

  it('rolls back on StopServiceDeployment and refuses to stop a finished deployment', async () => {
    const { ecs } = await blueGreen({ bakeTimeInMinutes: 30 });
    const arn = await registerImage(ecs, 'api:v2.4.0');
    await ecs.send(
      new UpdateServiceCommand({ cluster: 'prod', service: 'api', taskDefinition: arn }),
    );
    const baking = await until(
      () => latestServiceDeployment(ecs),
      (d) => d.lifecycleStage === 'BAKE_TIME',
    );
    const arnOf = baking.serviceDeploymentArn ?? '';
    const stop = await ecs.send(new StopServiceDeploymentCommand({ serviceDeploymentArn: arnOf }));
    expect(stop.serviceDeploymentArn).toBe(arnOf);
    const requested = await latestServiceDeployment(ecs);
    expect(['ROLLBACK_REQUESTED', 'ROLLBACK_IN_PROGRESS', 'ROLLBACK_SUCCESSFUL']).toContain(
      requested.status,
    );
    const rolledBack = await until(
      () => latestServiceDeployment(ecs),
      (d) => d.status === 'ROLLBACK_SUCCESSFUL',
    );
    expect(rolledBack.rollback?.reason).toBe('Service deployment rolled back by user request.');
    expect((await describeApi(ecs)).taskDefinition).toBe(OLD);
    await expect(
      ecs.send(new StopServiceDeploymentCommand({ serviceDeploymentArn: arnOf })),
    ).rejects.toMatchObject({ name: 'ConflictException' });
    await expect(
      ecs.send(new StopServiceDeploymentCommand({ serviceDeploymentArn: `${arnOf}x` })),
    ).rejects.toMatchObject({ name: 'ServiceDeploymentNotFoundException' });
  });

  it('lists service deployments newest first and filters them by status', async () => {
    const { ecs } = await blueGreen({ lifecycleHooks: [] });
    const first = await registerImage(ecs, 'api:v2.4.0');
    await ecs.send(
      new UpdateServiceCommand({ cluster: 'prod', service: 'api', taskDefinition: first }),
    );
    await until(
      () => latestServiceDeployment(ecs),
      (d) => d.status === 'SUCCESSFUL',
    );
    const second = await registerImage(ecs, 'api:v2.5.0');
    await ecs.send(
      new UpdateServiceCommand({ cluster: 'prod', service: 'api', taskDefinition: second }),
    );
    const all = await ecs.send(
      new ListServiceDeploymentsCommand({ cluster: 'prod', service: 'api' }),
    );
    expect(all.serviceDeployments?.map((d) => d.status)).toEqual([
      expect.stringMatching(/^(PENDING|IN_PROGRESS)$/),
      'SUCCESSFUL',
    ]);
    const done = await ecs.send(
      new ListServiceDeploymentsCommand({
        cluster: 'prod',
        service: 'api',
        status: ['SUCCESSFUL'],
      }),
    );
    expect(done.serviceDeployments).toHaveLength(1);
    expect(done.serviceDeployments?.[0]?.targetServiceRevisionArn).toMatch(
      /^arn:aws:ecs:eu-west-1:210987654321:service-revision\/prod\/api\/\d+$/,
    );
  });
});
