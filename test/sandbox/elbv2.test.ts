import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import {
  DescribeTargetGroupAttributesCommand,
  DescribeTargetGroupsCommand,
  ElasticLoadBalancingV2Client,
  paginateDescribeTargetGroups,
  TargetGroupNotFoundException,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createAwsClient } from '../../src/lib/aws.ts';
import { loadScenario, type Scenario } from './scenario.ts';
import { type Sandbox, startSandbox } from './server.ts';

const run = promisify(execFile);
const sandboxes: Sandbox[] = [];

afterEach(async () => {
  await Promise.all(sandboxes.splice(0).map((s) => s.stop()));
});

const API_TG =
  'arn:aws:elasticloadbalancing:eu-west-1:210987654321:targetgroup/api/3f2a1b0c9d8e7f60';

async function sandbox(scenario: Scenario | string = 'web-bluegreen') {
  const sb = await startSandbox(typeof scenario === 'string' ? loadScenario(scenario) : scenario, {
    registry: false,
  });
  sandboxes.push(sb);
  return sb;
}

/** The client the actions build, pointed at the sandbox the way they are: by environment. */
function client(sb: Sandbox): ElasticLoadBalancingV2Client {
  for (const [key, value] of Object.entries(sb.env)) vi.stubEnv(key, value);
  return createAwsClient(ElasticLoadBalancingV2Client, { maxAttempts: 3 });
}

/** A scenario with one rolling service whose target group drains in 30 s and checks every 10 s. */
function tunedRolling(): Scenario {
  const scenario = loadScenario('ecs-rolling');
  return {
    ...scenario,
    elbv2: {
      targetGroups: [
        {
          arn: API_TG,
          healthCheck: { intervalSeconds: 10, healthyThresholdCount: 2, path: '/health' },
          attributes: { 'deregistration_delay.timeout_seconds': 30 },
        },
      ],
    },
  };
}

function post(sb: Sandbox, body: string) {
  return fetch(`${sb.endpoint}/`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
    body,
  });
}

describe('sandbox ELBv2 with the SDK client', () => {
  it("has every target group the scenario's services and CodeDeploy pairs name, with ELBv2's defaults", async () => {
    const sb = await sandbox();
    const out = await client(sb).send(new DescribeTargetGroupsCommand({}));
    expect(out.TargetGroups?.map((g) => g.TargetGroupName)).toEqual(['web-blue', 'web-green']);
    const [blue, green] = out.TargetGroups!;
    expect(blue).toEqual({
      TargetGroupArn:
        'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-blue/6d0ecf831eec9f09',
      TargetGroupName: 'web-blue',
      Protocol: 'HTTP',
      Port: 8080,
      VpcId: expect.stringMatching(/^vpc-[0-9a-f]{17}$/),
      HealthCheckProtocol: 'HTTP',
      HealthCheckPort: 'traffic-port',
      HealthCheckEnabled: true,
      HealthCheckIntervalSeconds: 30,
      HealthCheckTimeoutSeconds: 5,
      HealthyThresholdCount: 5,
      UnhealthyThresholdCount: 2,
      HealthCheckPath: '/',
      Matcher: { HttpCode: '200' },
      LoadBalancerArns: [
        'arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/web/8e4b2a1c9d7f6e5a',
      ],
      TargetType: 'ip',
      ProtocolVersion: 'HTTP1',
      IpAddressType: 'ipv4',
    });
    // The pair's other group serves the same container port and gets a stable ARN of its own.
    expect(green?.Port).toBe(8080);
    expect(green?.TargetGroupArn).toMatch(
      /^arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup\/web-green\/[0-9a-f]{16}$/,
    );
    expect(sb.callsTo('DescribeTargetGroups', 'elbv2')).toHaveLength(1);
  });

  it('answers by name and by ARN, and refuses unknown ones with TargetGroupNotFound', async () => {
    const sb = await sandbox();
    const elb = client(sb);
    const byName = await elb.send(new DescribeTargetGroupsCommand({ Names: ['web-green'] }));
    const arn = byName.TargetGroups![0]!.TargetGroupArn!;
    const byArn = await elb.send(new DescribeTargetGroupsCommand({ TargetGroupArns: [arn] }));
    expect(byArn.TargetGroups?.map((g) => g.TargetGroupName)).toEqual(['web-green']);

    const missing = elb.send(new DescribeTargetGroupsCommand({ Names: ['web-blue', 'nope'] }));
    await expect(missing).rejects.toBeInstanceOf(TargetGroupNotFoundException);
    await expect(missing).rejects.toMatchObject({
      message: expect.stringMatching(/One or more target groups not found$/),
      $metadata: { httpStatusCode: 400 },
    });
    await expect(
      elb.send(new DescribeTargetGroupsCommand({ TargetGroupArns: ['arn:nope'] })),
    ).rejects.toMatchObject({ name: 'ValidationError' });
    await expect(
      elb.send(new DescribeTargetGroupsCommand({ Names: ['web-blue'], TargetGroupArns: [arn] })),
    ).rejects.toMatchObject({ name: 'ValidationError' });
  });

  it('pages with PageSize and Marker, as the SDK paginator follows them', async () => {
    const sb = await sandbox();
    const pages = [];
    for await (const page of paginateDescribeTargetGroups(
      { client: client(sb) },
      { PageSize: 1 },
    )) {
      pages.push(page.TargetGroups?.map((g) => g.TargetGroupName));
    }
    expect(pages).toEqual([['web-blue'], ['web-green']]);
    const sent = sb.callsTo('DescribeTargetGroups', 'elbv2').map((c) => c.params);
    expect(sent[0]).toMatchObject({ Action: 'DescribeTargetGroups', PageSize: '1' });
    expect(sent[1]).toHaveProperty('Marker');
  });

  it("lists a target group's attributes with the 300 s deregistration delay by default", async () => {
    const sb = await sandbox();
    const elb = client(sb);
    const [group] = (await elb.send(new DescribeTargetGroupsCommand({ Names: ['web-blue'] })))
      .TargetGroups!;
    const out = await elb.send(
      new DescribeTargetGroupAttributesCommand({ TargetGroupArn: group!.TargetGroupArn }),
    );
    const attributes = Object.fromEntries(out.Attributes!.map((a) => [a.Key, a.Value]));
    expect(attributes).toMatchObject({
      'deregistration_delay.timeout_seconds': '300',
      'stickiness.enabled': 'false',
      'slow_start.duration_seconds': '0',
      'load_balancing.algorithm.type': 'round_robin',
    });
    expect(attributes['stickiness.app_cookie.cookie_name']).toBe('');
  });

  it("takes a scenario's health check and deregistration delay for a service's group", async () => {
    const sb = await sandbox(tunedRolling());
    const elb = client(sb);
    const [group] = (await elb.send(new DescribeTargetGroupsCommand({ TargetGroupArns: [API_TG] })))
      .TargetGroups!;
    expect(group).toMatchObject({
      TargetGroupName: 'api',
      Port: 3000,
      HealthCheckIntervalSeconds: 10,
      HealthyThresholdCount: 2,
      HealthCheckPath: '/health',
      LoadBalancerArns: [],
    });
    const out = await elb.send(
      new DescribeTargetGroupAttributesCommand({ TargetGroupArn: API_TG }),
    );
    expect(out.Attributes).toContainEqual({
      Key: 'deregistration_delay.timeout_seconds',
      Value: '30',
    });
    expect(
      sb.elbv2.targetGroup('api')?.attributes.get('deregistration_delay.timeout_seconds'),
    ).toBe('30');
  });

  it('refuses a scenario whose deregistration delay AWS would refuse', async () => {
    const scenario = tunedRolling();
    scenario.elbv2!.targetGroups![0]!.attributes = { 'deregistration_delay.timeout_seconds': 3601 };
    await expect(sandbox(scenario)).rejects.toThrow(
      'elbv2.targetGroups[0]: deregistration_delay.timeout_seconds must be 0-3600 seconds',
    );
  });

  it("throttles in the query protocol's own words, and the SDK retries through it", async () => {
    const sb = await sandbox();
    sb.faults.set([{ kind: 'throttle', service: 'elbv2', count: 1 }]);
    const out = await client(sb).send(new DescribeTargetGroupsCommand({ Names: ['web-blue'] }));
    expect(out.$metadata.attempts).toBe(2);
    const calls = sb.callsTo('DescribeTargetGroups', 'elbv2');
    expect(calls.map((c) => c.status)).toEqual([400, 200]);
    const raw = await (async () => {
      sb.faults.set([{ kind: 'throttle', service: 'elbv2', count: 1 }]);
      return (await post(sb, 'Action=DescribeTargetGroups&Version=2015-12-01')).text();
    })();
    expect(raw).toMatch(/<Code>Throttling<\/Code>/);
  });
});

describe('sandbox ELBv2 on the wire', () => {
  it('answers in the query protocol XML: the Result inside the Response, a RequestId, the namespace', async () => {
    const sb = await sandbox();
    const res = await post(
      sb,
      'Action=DescribeTargetGroups&Version=2015-12-01&Names.member.1=web-blue',
    );
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/xml');
    const body = await res.text();
    expect(body).toMatch(
      /^<DescribeTargetGroupsResponse xmlns="http:\/\/elasticloadbalancing\.amazonaws\.com\/doc\/2015-12-01\/"><DescribeTargetGroupsResult><TargetGroups><member><TargetGroupArn>arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup\/web-blue\/6d0ecf831eec9f09<\/TargetGroupArn>/,
    );
    expect(body).toMatch(
      /<\/DescribeTargetGroupsResult><ResponseMetadata><RequestId>[0-9a-f-]{36}<\/RequestId><\/ResponseMetadata><\/DescribeTargetGroupsResponse>$/,
    );
  });

  it('answers errors as ErrorResponse with Type, Code and Message', async () => {
    const sb = await sandbox();
    const missing = await post(
      sb,
      'Action=DescribeTargetGroupAttributes&Version=2015-12-01&TargetGroupArn=arn%3Aaws%3Aelasticloadbalancing%3Aus-east-1%3A123456789012%3Atargetgroup%2Fgone%2F0123456789abcdef',
    );
    expect(missing.status).toBe(400);
    expect(await missing.text()).toMatch(
      /^<ErrorResponse xmlns="http:\/\/elasticloadbalancing\.amazonaws\.com\/doc\/2015-12-01\/"><Error><Type>Sender<\/Type><Code>TargetGroupNotFound<\/Code><Message>One or more target groups not found<\/Message><\/Error><RequestId>[0-9a-f-]{36}<\/RequestId><\/ErrorResponse>$/,
    );
    const unknown = await post(sb, 'Action=DeleteTargetGroup&Version=2015-12-01');
    expect(await unknown.text()).toContain(
      '<Code>InvalidAction</Code><Message>The action DeleteTargetGroup is not valid for this web service.</Message>',
    );
    const noArn = await post(sb, 'Action=DescribeTargetGroupAttributes&Version=2015-12-01');
    expect(await noArn.text()).toContain('<Code>ValidationError</Code>');
  });

  it('leaves GitHub requests and JSON AWS calls where they were', async () => {
    const sb = await sandbox();
    const github = await fetch(`${sb.endpoint}/repos/acme/web/issues`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"title":"x"}',
    });
    expect(github.headers.get('content-type')).not.toBe('text/xml');
    expect(sb.calls.map((c) => c.service)).toEqual(['github']);
  });
});

describe('sandbox ELBv2 with the AWS CLI', () => {
  // Debian's awscli (2.9) predates AWS_ENDPOINT_URL: the endpoint is given on the command line.
  function aws(sb: Sandbox, args: string[]) {
    return run('/usr/bin/aws', [...args, '--endpoint-url', sb.endpoint, '--output', 'json'], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...sb.env },
    });
  }

  it('describe-target-groups and describe-target-group-attributes read the scenario', async () => {
    const sb = await sandbox(tunedRolling());
    const groups = JSON.parse(
      (await aws(sb, ['elbv2', 'describe-target-groups', '--names', 'api'])).stdout,
    ) as { TargetGroups: Array<Record<string, unknown>> };
    expect(groups.TargetGroups).toHaveLength(1);
    expect(groups.TargetGroups[0]).toMatchObject({
      TargetGroupArn: API_TG,
      HealthCheckIntervalSeconds: 10,
      HealthyThresholdCount: 2,
      Matcher: { HttpCode: '200' },
    });
    const attributes = JSON.parse(
      (await aws(sb, ['elbv2', 'describe-target-group-attributes', '--target-group-arn', API_TG]))
        .stdout,
    ) as { Attributes: Array<{ Key: string; Value: string }> };
    expect(attributes.Attributes).toContainEqual({
      Key: 'deregistration_delay.timeout_seconds',
      Value: '30',
    });
  });

  it('prints an unknown target group as the error AWS sends', async () => {
    const sb = await sandbox();
    const failed = aws(sb, ['elbv2', 'describe-target-groups', '--names', 'nope']);
    await expect(failed).rejects.toMatchObject({
      stderr: expect.stringContaining(
        'An error occurred (TargetGroupNotFound) when calling the DescribeTargetGroups operation: One or more target groups not found',
      ),
    });
  });
});
