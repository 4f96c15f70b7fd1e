// The built bundles reach AWS through the forward proxy the runner's environment names (Debian's
// tinyproxy here) and around it for hosts in NO_PROXY. render-task-definition reads a live family
// from a local server that answers ECS's DescribeTaskDefinition.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { runAction } from '../harness/index.ts';
import { startTinyproxy, type Tinyproxy } from '../unit/lib/tinyproxy.ts';

const LIVE = {
  taskDefinition: {
    taskDefinitionArn: 'arn:aws:ecs:us-east-1:123456789012:task-definition/web:3',
    family: 'web',
    revision: 3,
    status: 'ACTIVE',
    networkMode: 'awsvpc',
    requiresCompatibilities: ['FARGATE'],
    cpu: '256',
    memory: '512',
    containerDefinitions: [{ name: 'web', image: 'nginx:1.27', essential: true }],
  },
  tags: [],
};

let proxy: Tinyproxy;
let endpoint: string;
const targets: string[] = [];
const ecs = createServer((req, res) => {
  targets.push(String(req.headers['x-amz-target']));
  req.resume();
  req.on('end', () => {
    res.setHeader('content-type', 'application/x-amz-json-1.1');
    res.end(JSON.stringify(LIVE));
  });
});

beforeAll(async () => {
  proxy = await startTinyproxy();
  await new Promise<void>((resolve) => ecs.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(ecs.address() as AddressInfo).port}`;
});

afterAll(async () => {
  ecs.closeAllConnections();
  await new Promise((resolve) => ecs.close(resolve));
  await proxy.stop();
});

function render(extra: Record<string, string>) {
  return runAction('render-task-definition', {
    inputs: { 'task-definition-family': 'web', 'aws-max-attempts': '1' },
    env: {
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'not-a-secret',
      AWS_ENDPOINT_URL: endpoint,
      ...extra,
    },
  });
}

describe('render-task-definition behind a forward proxy', () => {
  test('with HTTP_PROXY set, the ECS call goes through the proxy', async () => {
    const before = proxy.requests().length;
    const result = await render({ HTTP_PROXY: proxy.url });
    expect(result.errors).toEqual([]);
    expect(result.outputs.family).toBe('web');
    expect(proxy.requests().slice(before)).toEqual([`POST ${endpoint}/ HTTP/1.1`]);
  });

  test('with NO_PROXY naming the endpoint host, it goes direct', async () => {
    const before = proxy.requests().length;
    const seen = targets.length;
    const result = await render({ http_proxy: proxy.url, no_proxy: '127.0.0.1' });
    expect(result.errors).toEqual([]);
    expect(result.outputs.family).toBe('web');
    expect(targets.slice(seen)).toEqual([
      'AmazonEC2ContainerServiceV20141113.DescribeTaskDefinition',
    ]);
    expect(proxy.requests().slice(before)).toEqual([]);
  });
});
