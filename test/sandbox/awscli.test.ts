// The sandbox answers what a user's own tools ask: Debian's AWS CLI (a client no one here
// wrote) reads clusters, services, task definitions, the registry's scanning configuration,
// CodeDeploy applications, groups, targets and configs, pages through them, and exchanges a
// GitHub OIDC token for a role's credentials, all against the sandbox.
import { execFile } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadScenario, type Sandbox, type Scenario, start } from './index.ts';
import { forgeGitHubToken } from './services/sts.ts';

// Debian's package, not whatever `aws` a version manager puts first on PATH. Version 2.9 reads no
// AWS_ENDPOINT_URL (2.13 does), so every call names the endpoint.
const AWS_CLI = '/usr/bin/aws';

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  json: Record<string, unknown>;
}

let sandbox: Sandbox;

function aws(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    execFile(
      AWS_CLI,
      ['--endpoint-url', sandbox.endpoint, '--output', 'json', '--no-cli-pager', ...args],
      {
        env: {
          PATH: process.env.PATH ?? '',
          HOME: process.env.HOME ?? '/tmp',
          AWS_CONFIG_FILE: '/dev/null',
          AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
          AWS_REGION: sandbox.env.AWS_REGION!,
          AWS_ACCESS_KEY_ID: sandbox.env.AWS_ACCESS_KEY_ID!,
          AWS_SECRET_ACCESS_KEY: sandbox.env.AWS_SECRET_ACCESS_KEY!,
          AWS_EC2_METADATA_DISABLED: 'true',
          ...env,
        },
        timeout: 60_000,
      },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== 'number') {
          reject(error);
          return;
        }
        const code = typeof error?.code === 'number' ? error.code : 0;
        let json: Record<string, unknown> = {};
        if (code === 0 && stdout.trim() !== '')
          json = JSON.parse(stdout) as Record<string, unknown>;
        resolve({ code, stdout, stderr, json });
      },
    );
  });
}

/** The web-bluegreen scenario, grown so that every list spans more than one page. */
function bigScenario(): Scenario {
  const scenario = loadScenario('web-bluegreen');
  const ecs = scenario.ecs!;
  const web = ecs.taskDefinitions![0]!;
  ecs.taskDefinitions = [
    ...ecs.taskDefinitions!,
    ...[8, 9].map((revision) => ({ ...web, revision })),
    { ...web, family: 'worker', revision: 1 },
  ];
  ecs.clusters![0]!.services!.push(
    ...Array.from({ length: 12 }, (_, n) => ({
      name: `job-${String(n + 1).padStart(2, '0')}`,
      taskDefinition: 'worker:1',
      desiredCount: 0,
    })),
  );
  scenario.codedeploy!.timings = { ...scenario.codedeploy!.timings, start: 1 };
  scenario.codedeploy!.applications!.push(
    ...Array.from({ length: 104 }, (_, n) => ({ name: `legacy-${String(n).padStart(3, '0')}` })),
  );
  scenario.sts = {
    roles: [
      {
        name: 'web-deploy-production',
        trustPolicy: 'docs/iam/deploy-role.trust.json',
        substitute: { OWNER: 'acme', REPO: 'web', ENVIRONMENT: 'production' },
      },
    ],
  };
  return scenario;
}

beforeAll(async () => {
  // Real time: the CLI takes most of a second to start, an age on a faster clock.
  sandbox = await start(bigScenario(), { speed: 1, registry: true });
});
afterAll(async () => {
  await sandbox?.stop();
});

describe('the AWS CLI against the sandbox: ECS', () => {
  it('lists a cluster’s services page by page, ten to a page unless asked otherwise', async () => {
    const before = sandbox.callsTo('ListServices', 'ecs').length;
    const all = await aws(['ecs', 'list-services', '--cluster', 'prod']);
    expect(all.code, all.stderr).toBe(0);
    const arns = all.json.serviceArns as string[];
    expect(arns).toHaveLength(13);
    expect(arns).toContain('arn:aws:ecs:us-east-1:123456789012:service/prod/web');
    // The CLI followed the nextToken of the first page of ten.
    expect(sandbox.callsTo('ListServices', 'ecs').length - before).toBe(2);

    const paged = await aws(['ecs', 'list-services', '--cluster', 'prod', '--page-size', '5']);
    expect(paged.json.serviceArns).toEqual(arns);
    expect(sandbox.callsTo('ListServices', 'ecs').length - before).toBe(2 + 3);
    expect(sandbox.callsTo('ListServices', 'ecs').at(-1)!.params).toMatchObject({ maxResults: 5 });

    const first = await aws(['ecs', 'list-services', '--cluster', 'prod', '--max-items', '4']);
    expect(first.json.serviceArns).toEqual(arns.slice(0, 4));
    const rest = await aws([
      'ecs',
      'list-services',
      '--cluster',
      'prod',
      '--starting-token',
      String(first.json.NextToken),
    ]);
    expect(rest.json.serviceArns).toEqual(arns.slice(4));
  });

  it('says which cluster does not exist, in the answer or as ClusterNotFoundException', async () => {
    const described = await aws([
      'ecs',
      'describe-clusters',
      '--clusters',
      'prod',
      'staging',
      '--include',
      'STATISTICS',
    ]);
    expect(described.code, described.stderr).toBe(0);
    expect(described.json.clusters).toEqual([
      expect.objectContaining({
        clusterName: 'prod',
        status: 'ACTIVE',
        runningTasksCount: 2,
        activeServicesCount: 13,
        statistics: expect.arrayContaining([{ name: 'runningFargateTasksCount', value: '2' }]),
      }),
    ]);
    expect(described.json.failures).toEqual([
      { arn: 'arn:aws:ecs:us-east-1:123456789012:cluster/staging', reason: 'MISSING' },
    ]);

    const missing = await aws(['ecs', 'list-services', '--cluster', 'staging']);
    expect(missing.code).toBe(254);
    expect(missing.stderr).toContain('(ClusterNotFoundException) when calling the ListServices');
  });

  it('lists task definitions by family, oldest first or newest first', async () => {
    const asc = await aws(['ecs', 'list-task-definitions', '--family-prefix', 'web']);
    expect(asc.json.taskDefinitionArns).toEqual(
      [7, 8, 9].map((n) => `arn:aws:ecs:us-east-1:123456789012:task-definition/web:${n}`),
    );
    const newest = await aws([
      'ecs',
      'list-task-definitions',
      '--sort',
      'DESC',
      '--max-items',
      '1',
    ]);
    expect(newest.json.taskDefinitionArns).toEqual([
      'arn:aws:ecs:us-east-1:123456789012:task-definition/worker:1',
    ]);
    expect(newest.json.NextToken).toEqual(expect.any(String));
  });
});

describe('the AWS CLI against the sandbox: ECR', () => {
  it('reads the registry’s scanning configuration, which is the registry’s and not a repository’s', async () => {
    const basic = await aws(['ecr', 'get-registry-scanning-configuration']);
    expect(basic.code, basic.stderr).toBe(0);
    expect(basic.json).toEqual({
      registryId: '123456789012',
      scanningConfiguration: { scanType: 'BASIC', rules: [] },
    });
    sandbox.ecr!.state.setScanning({ scanType: 'ENHANCED' });
    try {
      const enhanced = await aws(['ecr', 'get-registry-scanning-configuration']);
      expect(enhanced.json.scanningConfiguration).toEqual({
        scanType: 'ENHANCED',
        rules: [
          {
            scanFrequency: 'CONTINUOUS_SCAN',
            repositoryFilters: [{ filter: '*', filterType: 'WILDCARD' }],
          },
        ],
      });
    } finally {
      sandbox.ecr!.state.setScanning({ scanType: 'BASIC' });
    }
  });
});

describe('the AWS CLI against the sandbox: CodeDeploy', () => {
  it('lists applications a hundred to a page and groups of one application', async () => {
    const before = sandbox.callsTo('ListApplications', 'codedeploy').length;
    const apps = await aws(['deploy', 'list-applications']);
    expect(apps.code, apps.stderr).toBe(0);
    const names = apps.json.applications as string[];
    expect(names).toHaveLength(105);
    expect(names).toContain('AppECS-prod-web');
    expect(sandbox.callsTo('ListApplications', 'codedeploy').length - before).toBe(2);
    const some = await aws(['deploy', 'list-applications', '--max-items', '3']);
    expect(some.json.applications).toEqual(names.slice(0, 3));

    const groups = await aws([
      'deploy',
      'list-deployment-groups',
      '--application-name',
      'AppECS-prod-web',
    ]);
    expect(groups.json.deploymentGroups).toEqual(['DgpECS-prod-web']);
    const unknown = await aws(['deploy', 'list-deployment-groups', '--application-name', 'nope']);
    expect(unknown.code).toBe(254);
    expect(unknown.stderr).toContain('ApplicationDoesNotExistException');
  });

  it('describes deployment configurations, built in or not, and names a missing one', async () => {
    const linear = await aws([
      'deploy',
      'get-deployment-config',
      '--deployment-config-name',
      'CodeDeployDefault.ECSLinear10PercentEvery1Minutes',
    ]);
    expect(linear.code, linear.stderr).toBe(0);
    expect(linear.json.deploymentConfigInfo).toMatchObject({
      deploymentConfigName: 'CodeDeployDefault.ECSLinear10PercentEvery1Minutes',
      computePlatform: 'ECS',
      trafficRoutingConfig: {
        type: 'TimeBasedLinear',
        timeBasedLinear: { linearPercentage: 10, linearInterval: 1 },
      },
    });
    const server = await aws([
      'deploy',
      'get-deployment-config',
      '--deployment-config-name',
      'CodeDeployDefault.OneAtATime',
    ]);
    expect(server.json.deploymentConfigInfo).toMatchObject({
      computePlatform: 'Server',
      minimumHealthyHosts: { type: 'HOST_COUNT', value: 1 },
    });
    const missing = await aws([
      'deploy',
      'get-deployment-config',
      '--deployment-config-name',
      'Nope',
    ]);
    expect(missing.code).toBe(254);
    expect(missing.stderr).toContain('(DeploymentConfigDoesNotExistException)');
  });

  it('lists the targets of a deployment once it has started: the ECS service', async () => {
    const { deploymentId } = (await sandbox.codedeploy.handle('CreateDeployment', {
      applicationName: 'AppECS-prod-web',
      deploymentGroupName: 'DgpECS-prod-web',
      revision: {
        revisionType: 'AppSpecContent',
        appSpecContent: {
          content: JSON.stringify({
            version: 0.0,
            Resources: [
              {
                TargetService: {
                  Type: 'AWS::ECS::Service',
                  Properties: {
                    TaskDefinition: 'arn:aws:ecs:us-east-1:123456789012:task-definition/web:8',
                    LoadBalancerInfo: { ContainerName: 'web', ContainerPort: 8080 },
                  },
                },
              },
            ],
          }),
        },
      },
    })) as { deploymentId: string };
    await expect(
      (async () => sandbox.codedeploy.handle('ListDeploymentTargets', { deploymentId }))(),
    ).rejects.toMatchObject({ type: 'DeploymentNotStartedException' });

    await sandbox.clock.sleep(1_500);
    const targets = await aws([
      'deploy',
      'list-deployment-targets',
      '--deployment-id',
      deploymentId,
    ]);
    expect(targets.code, targets.stderr).toBe(0);
    expect(targets.json.targetIds).toEqual(['prod:web']);
    const none = await aws([
      'deploy',
      'list-deployment-targets',
      '--deployment-id',
      deploymentId,
      '--target-filters',
      'TargetStatus=Failed',
    ]);
    expect(none.json.targetIds).toEqual([]);
  });
});

describe('the AWS CLI against the sandbox: STS', () => {
  it('says who the sandbox’s own credentials belong to, in STS’s XML protocol', async () => {
    const me = await aws(['sts', 'get-caller-identity']);
    expect(me.code, me.stderr).toBe(0);
    expect(me.json).toEqual({
      UserId: expect.stringMatching(/^AIDA[A-Z0-9]{17}$/),
      Account: '123456789012',
      Arn: 'arn:aws:iam::123456789012:user/sandbox',
    });
    const stranger = await aws(['sts', 'get-caller-identity'], {
      AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE',
    });
    expect(stranger.code).toBe(254);
    expect(stranger.stderr).toContain('(InvalidClientTokenId)');
  });

  it('exchanges an environment job’s OIDC token for the deploy role, and refuses a tag job’s', async () => {
    const token = (sub: string) =>
      forgeGitHubToken({
        sub,
        aud: 'sts.amazonaws.com',
        exp: Math.floor(sandbox.clock.now() / 1000) + 300,
      });
    const assume = (sub: string) =>
      aws([
        'sts',
        'assume-role-with-web-identity',
        '--role-arn',
        'arn:aws:iam::123456789012:role/web-deploy-production',
        '--role-session-name',
        'GitHubActions',
        '--web-identity-token',
        token(sub),
      ]);

    const granted = await assume('repo:acme/web:environment:production');
    expect(granted.code, granted.stderr).toBe(0);
    const credentials = granted.json.Credentials as Record<string, string>;
    expect(credentials.AccessKeyId).toMatch(/^ASIA[A-Z0-9]{16}$/);
    expect(granted.json.AssumedRoleUser).toMatchObject({
      Arn: 'arn:aws:sts::123456789012:assumed-role/web-deploy-production/GitHubActions',
    });
    const me = await aws(['sts', 'get-caller-identity'], {
      AWS_ACCESS_KEY_ID: credentials.AccessKeyId!,
      AWS_SECRET_ACCESS_KEY: credentials.SecretAccessKey!,
      AWS_SESSION_TOKEN: credentials.SessionToken!,
    });
    expect(me.json.Arn).toBe(
      'arn:aws:sts::123456789012:assumed-role/web-deploy-production/GitHubActions',
    );

    for (const sub of ['repo:acme/web:ref:refs/tags/v1.1.0', 'repo:acme/web:environment:staging']) {
      const refused = await assume(sub);
      expect(refused.code, sub).toBe(254);
      expect(refused.stderr).toContain(
        '(AccessDenied) when calling the AssumeRoleWithWebIdentity operation: Not authorized to perform sts:AssumeRoleWithWebIdentity',
      );
    }
  });
});
