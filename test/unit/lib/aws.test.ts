import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ECSClient, ListClustersCommand } from '@aws-sdk/client-ecs';
import { afterEach, describe, expect, test, vi } from 'vitest';
import {
  awsClientConfig,
  createAwsClient,
  readAwsOptions,
  resolveRegion,
} from '../../../src/lib/aws.ts';
import { mapInputs } from '../../../src/lib/inputs.ts';
import { VERSION } from '../../../src/lib/version.ts';

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('AWS clients are built one way', () => {
  test('the region input wins over the environment', () => {
    expect(resolveRegion('eu-west-1', { AWS_REGION: 'us-east-1' })).toBe('eu-west-1');
  });
  test('AWS_REGION, then AWS_DEFAULT_REGION', () => {
    expect(resolveRegion(undefined, { AWS_REGION: 'us-east-1', AWS_DEFAULT_REGION: 'x' })).toBe(
      'us-east-1',
    );
    expect(resolveRegion(undefined, { AWS_DEFAULT_REGION: 'ap-south-1' })).toBe('ap-south-1');
  });
  test('no region at all says how to set one', () => {
    expect(() => resolveRegion(undefined, {})).toThrow(
      /^aws-region: no AWS region: set the aws-region input or AWS_REGION/,
    );
  });
  test('adaptive retries, a default attempt count and the suite in the user agent', () => {
    const config = awsClientConfig({ region: 'us-east-1' });
    expect(config.retryMode).toBe('adaptive');
    expect(config.maxAttempts).toBe(8);
    expect(config.customUserAgent).toEqual([['fargate-delivery', VERSION]]);
  });
  test('the attempt count is configurable', () => {
    expect(awsClientConfig({ region: 'us-east-1', maxAttempts: 3 }).maxAttempts).toBe(3);
  });
  test('requests go to AWS_ENDPOINT_URL_<SERVICE> with the suite in the user agent', async () => {
    const seen: Array<{ target: string; agent: string }> = [];
    const server = createServer((req, res) => {
      seen.push({
        target: String(req.headers['x-amz-target']),
        agent: `${req.headers['user-agent']} ${req.headers['x-amz-user-agent']}`,
      });
      res.setHeader('content-type', 'application/x-amz-json-1.1');
      res.end(JSON.stringify({ clusterArns: ['arn:aws:ecs:us-east-1:123456789012:cluster/prod'] }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    vi.stubEnv('AWS_ENDPOINT_URL_ECS', `http://127.0.0.1:${port}`);
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIDEXAMPLE');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'secret');
    try {
      const client = createAwsClient(ECSClient, { region: 'us-east-1' });
      const answer = await client.send(new ListClustersCommand({}));
      expect(answer.clusterArns).toEqual(['arn:aws:ecs:us-east-1:123456789012:cluster/prod']);
      expect(seen[0]?.target).toBe('AmazonEC2ContainerServiceV20141113.ListClusters');
      expect(seen[0]?.agent).toContain(`fargate-delivery/${VERSION}`);
    } finally {
      server.close();
    }
  });
  test('aws-region and aws-max-attempts inputs are read and checked', () => {
    expect(
      readAwsOptions(mapInputs({ 'aws-region': 'eu-west-1', 'aws-max-attempts': '3' })),
    ).toEqual({
      region: 'eu-west-1',
      maxAttempts: 3,
    });
    expect(readAwsOptions(mapInputs({}))).toEqual({});
    expect(() => readAwsOptions(mapInputs({ 'aws-max-attempts': '0' }))).toThrow(
      "aws-max-attempts: must be a whole number from 1 to 20, got '0'",
    );
  });
});

describe('every AWS request has a deadline', () => {
  afterEach(() => vi.unstubAllEnvs());
  test('a server that never answers fails the call after the request timeout, not never', async () => {
    const server = createServer(() => {
      // Accept the request and say nothing, as a hung endpoint does.
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    vi.stubEnv('AWS_ENDPOINT_URL_ECS', `http://127.0.0.1:${port}`);
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIDEXAMPLE');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'secret');
    try {
      const client = createAwsClient(ECSClient, {
        region: 'us-east-1',
        maxAttempts: 1,
        requestTimeoutMs: 300,
      });
      const started = Date.now();
      await expect(client.send(new ListClustersCommand({}))).rejects.toThrow();
      expect(Date.now() - started).toBeLessThan(20_000);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});
