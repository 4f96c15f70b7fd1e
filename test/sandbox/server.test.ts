import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { loadScenario, validateScenario } from './scenario.ts';
import { type GitHubRequest, type Sandbox, startSandbox } from './server.ts';
import { GitHubError } from './types.ts';

const run = promisify(execFile);
const sandboxes: Sandbox[] = [];

afterEach(async () => {
  await Promise.all(sandboxes.splice(0).map((s) => s.stop()));
});

async function rolling(
  github?: (req: GitHubRequest) => Promise<{ status: number; body?: unknown }>,
) {
  const sb = await startSandbox(
    loadScenario('ecs-rolling'),
    { speed: 600, registry: false },
    {
      ...(github !== undefined
        ? { createGitHub: () => ({ handle: github, state: {} }) as never }
        : {}),
    },
  );
  sandboxes.push(sb);
  return sb;
}

function awsCall(sb: Sandbox, target: string, body: string) {
  return fetch(sb.endpoint, {
    method: 'POST',
    headers: { 'x-amz-target': target, 'content-type': 'application/x-amz-json-1.1' },
    body,
  });
}

describe('sandbox server', () => {
  it('speaks AWS JSON 1.1: epoch-second timestamps, errors with __type and x-amzn-errortype', async () => {
    const sb = await rolling();
    const ok = await awsCall(
      sb,
      'AmazonEC2ContainerServiceV20141113.DescribeServices',
      JSON.stringify({ cluster: 'prod', services: ['api'] }),
    );
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toBe('application/x-amz-json-1.1');
    const body = (await ok.json()) as { services: { createdAt: unknown }[] };
    expect(typeof body.services[0]?.createdAt).toBe('number');

    const unknown = await awsCall(sb, 'AmazonEC2ContainerServiceV20141113.LaunchRocket', '{}');
    expect(unknown.status).toBe(400);
    expect(unknown.headers.get('x-amzn-errortype')).toBe('UnknownOperationException');
    expect(await unknown.json()).toEqual({
      __type: 'UnknownOperationException',
      message: 'Unknown operation LaunchRocket',
    });

    const garbled = await awsCall(sb, 'CodeDeploy_20141006.GetDeployment', '{"deploymentId":');
    expect(garbled.status).toBe(400);
    expect(((await garbled.json()) as { __type: string }).__type).toBe('SerializationException');
  });

  it('records every call with its operation, simulated and real time, params and status', async () => {
    const sb = await rolling(async () => ({ status: 201, body: { number: 1 } }));
    const before = sb.clock.now();
    await awsCall(sb, 'AmazonEC2ContainerServiceV20141113.ListTasks', '{"cluster":"prod"}');
    await fetch(`${sb.endpoint}/repos/acme/api/issues?per_page=5`, {
      method: 'POST',
      headers: { authorization: 'token ghs_secret' },
      body: JSON.stringify({ title: 'CVE', token: 'ghs_secret' }),
    });
    expect(sb.calls).toHaveLength(2);
    expect(sb.calls[0]).toMatchObject({
      service: 'ecs',
      operation: 'ListTasks',
      params: { cluster: 'prod' },
      status: 200,
    });
    expect(sb.calls[0]?.time).toBeGreaterThanOrEqual(before);
    expect(sb.calls[0]?.realTime).toBeLessThanOrEqual(Date.now());
    expect(sb.calls[1]).toMatchObject({
      service: 'github',
      operation: 'POST /repos/acme/api/issues',
      params: { query: { per_page: '5' }, body: { title: 'CVE', token: '[redacted]' } },
      status: 201,
    });
    expect(JSON.stringify(sb.calls)).not.toContain('ghs_secret');
    expect(sb.callsTo('ListTasks', 'ecs')).toHaveLength(1);
  });

  it('hands every other request to the GitHub module, and answers its errors in GitHub shape', async () => {
    const seen: GitHubRequest[] = [];
    const sb = await rolling(async (req) => {
      seen.push(req);
      if (req.path === '/repos/acme/gone') throw new GitHubError(404, 'Not Found');
      return { status: 200, body: { ok: true } };
    });
    const res = await fetch(`${sb.endpoint}/repos/acme/api/issues/3?state=open`, {
      method: 'PATCH',
      body: JSON.stringify({ state: 'closed' }),
      headers: { 'content-type': 'application/json' },
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true });
    expect(seen[0]).toMatchObject({
      method: 'PATCH',
      path: '/repos/acme/api/issues/3',
      body: { state: 'closed' },
    });
    expect(seen[0]?.query.get('state')).toBe('open');
    const gone = await fetch(`${sb.endpoint}/repos/acme/gone`);
    expect(gone.status).toBe(404);
    expect(((await gone.json()) as { message: string }).message).toBe('Not Found');
  });

  it('serves a child process through nothing but the standard environment variables', async () => {
    const sb = await rolling();
    const script = `
      const { ECSClient, DescribeServicesCommand } = require('@aws-sdk/client-ecs');
      new ECSClient({}).send(new DescribeServicesCommand({ cluster: 'prod', services: ['api'] }))
        .then((r) => console.log(r.services[0].serviceArn));`;
    const { stdout } = await run(process.execPath, ['-e', script], {
      cwd: process.cwd(),
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...sb.env },
    });
    expect(stdout.trim()).toBe('arn:aws:ecs:eu-west-1:210987654321:service/prod/api');
    expect(sb.env).toMatchObject({
      AWS_ENDPOINT_URL: sb.endpoint,
      AWS_REGION: 'eu-west-1',
      GITHUB_API_URL: sb.endpoint,
      GITHUB_REPOSITORY: 'acme/api',
    });
  });

  it('closes its port on stop, and stopping twice is harmless', async () => {
    const sb = await rolling();
    await sb.stop();
    await sb.stop();
    await expect(fetch(`${sb.endpoint}/repos/acme/api`)).rejects.toThrow();
  });

  it('reads scenarios by name and rejects unknown top-level keys', () => {
    expect(loadScenario('web-bluegreen').codedeploy?.applications?.[0]?.name).toBe(
      'AppECS-prod-web',
    );
    expect(() => validateScenario({ ecs: {}, ecsx: {} })).toThrow(/unknown key "ecsx"/);
    expect(() => loadScenario('no-such-scenario')).toThrow(/not found/);
  });

  it('starts the whole sandbox, registry and ECR included, from the public API', async () => {
    // Imported here so the other tests run even while a sibling module is being written.
    const { start } = await import('./index.ts');
    const sb = await start('web-bluegreen', { speed: 600 });
    sandboxes.push(sb);
    expect(sb.registry?.host).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(sb.ecr).toBeDefined();
    expect(sb.github).toBeDefined();
    expect(sb.env).toMatchObject({
      AWS_ENDPOINT_URL: sb.endpoint,
      AWS_REGION: 'us-east-1',
      GITHUB_REPOSITORY: 'acme/web',
      SANDBOX_REGISTRY: sb.registry?.host,
    });
    const res = await awsCall(
      sb,
      'AmazonEC2ContainerRegistry_V20150921.DescribeRepositories',
      JSON.stringify({ repositoryNames: ['web'] }),
    );
    expect(res.status).toBe(200);
  });
});
