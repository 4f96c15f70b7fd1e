// An AWS failure the user reads names the call and what it was about, whatever failed: the
// service, the network, or the retries running out. The clients talk to a local server that
// answers as AWS's JSON protocol does.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DescribeImagesCommand, ECRClient } from '@aws-sdk/client-ecr';
import {
  DescribeServicesCommand,
  ECSClient,
  ECSServiceException,
  ListClustersCommand,
  RegisterTaskDefinitionCommand,
} from '@aws-sdk/client-ecs';
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { createAwsClient, describeResource } from '../../../src/lib/aws.ts';
import { describeError, errorName } from '../../../src/lib/errors.ts';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

let server: Server;
let handler: Handler;
let requests: string[];

function answerError(status: number, type: string, message: string): Handler {
  return (_req, res) => {
    res.statusCode = status;
    res.setHeader('content-type', 'application/x-amz-json-1.1');
    res.setHeader('x-amzn-requestid', 'req-1');
    res.end(JSON.stringify({ __type: type, message }));
  };
}

beforeEach(async () => {
  requests = [];
  server = createServer((req, res) => {
    requests.push(String(req.headers['x-amz-target']));
    req.resume();
    req.on('end', () => handler(req, res));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  vi.stubEnv('AWS_ENDPOINT_URL', endpoint);
  vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIDEXAMPLE');
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'not-a-secret');
  vi.stubEnv('AWS_REGION', 'us-east-1');
});

afterEach(async () => {
  vi.unstubAllEnvs();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

async function failure(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected the call to fail');
}

describe('an AWS failure names the operation and the resource', () => {
  test('a service error: operation, resource, exception name and AWS message in one line', async () => {
    handler = answerError(
      400,
      'AccessDeniedException',
      'User: arn:aws:sts::123456789012:assumed-role/ci is not authorized to perform: ecs:DescribeServices',
    );
    const ecs = createAwsClient(ECSClient, { maxAttempts: 1 });
    const err = await failure(
      ecs.send(new DescribeServicesCommand({ cluster: 'prod', services: ['web'] })),
    );
    expect(describeError(err)).toBe(
      'DescribeServices (cluster prod, service web): AccessDeniedException: User: arn:aws:sts::123456789012:assumed-role/ci is not authorized to perform: ecs:DescribeServices',
    );
  });

  test('the error keeps its class, name and metadata, so callers can still branch on them', async () => {
    handler = answerError(400, 'ClusterNotFoundException', 'Cluster not found.');
    const ecs = createAwsClient(ECSClient, { maxAttempts: 1 });
    const err = await failure(
      ecs.send(new DescribeServicesCommand({ cluster: 'gone', services: ['web'] })),
    );
    expect(err).toBeInstanceOf(ECSServiceException);
    expect(errorName(err)).toBe('ClusterNotFoundException');
    expect((err as ECSServiceException).$metadata.httpStatusCode).toBe(400);
    expect((err as Error).message).toBe(
      'DescribeServices (cluster gone, service web): ClusterNotFoundException: Cluster not found.',
    );
  });

  test('a refused connection names the call too', async () => {
    vi.stubEnv('AWS_ENDPOINT_URL', 'http://127.0.0.1:9');
    const ecs = createAwsClient(ECSClient, { maxAttempts: 1 });
    const err = await failure(ecs.send(new ListClustersCommand({})));
    expect(describeError(err)).toBe('ListClusters: connect ECONNREFUSED 127.0.0.1:9');
  });

  test('the name is added once, after the retries have run out', async () => {
    handler = answerError(500, 'ServerException', 'We encountered an internal error.');
    const ecr = createAwsClient(ECRClient, { maxAttempts: 3 });
    const err = await failure(
      ecr.send(
        new DescribeImagesCommand({ repositoryName: 'web', imageIds: [{ imageTag: 'v1' }] }),
      ),
    );
    expect(requests).toHaveLength(3);
    expect(describeError(err)).toBe(
      'DescribeImages (repository web, image v1): ServerException: We encountered an internal error.',
    );
  });

  test('a registered task definition is named by its family, never by its environment or secrets', async () => {
    handler = answerError(400, 'ClientException', 'Invalid cpu.');
    const ecs = createAwsClient(ECSClient, { maxAttempts: 1 });
    const err = await failure(
      ecs.send(
        new RegisterTaskDefinitionCommand({
          family: 'web',
          containerDefinitions: [
            {
              name: 'app',
              environment: [{ name: 'DATABASE_PASSWORD', value: 'hunter2' }],
              secrets: [{ name: 'TOKEN', valueFrom: 'arn:aws:ssm:us-east-1:1:parameter/t' }],
            },
          ],
        }),
      ),
    );
    expect(describeError(err)).toBe(
      'RegisterTaskDefinition (family web): ClientException: Invalid cpu.',
    );
  });
});

describe('the resource in a few words', () => {
  test.each([
    [
      { cluster: 'prod', service: 'web', taskDefinition: 'web:8' },
      'cluster prod, service web, task definition web:8',
    ],
    [
      {
        cluster: 'arn:aws:ecs:us-east-1:123456789012:cluster/prod',
        taskDefinition: 'arn:aws:ecs:us-east-1:123456789012:task-definition/web:7',
      },
      'cluster prod, task definition web:7',
    ],
    [
      {
        repositoryName: 'web',
        imageIds: [{ imageDigest: `sha256:${'ab'.repeat(32)}` }],
        registryId: '123456789012',
      },
      'registry 123456789012, repository web, image sha256:abababababab',
    ],
    [
      { applicationName: 'app', deploymentGroupName: 'dg-prod' },
      'application app, deployment group dg-prod',
    ],
    [
      { deploymentId: 'd-ABCDEF123', targetId: 'prod:web' },
      'deployment d-ABCDEF123, target prod:web',
    ],
    [
      { cluster: 'prod', services: ['a', 'b', 'c', 'd', 'e'] },
      'cluster prod, service a, b, c +2 more',
    ],
    [{ revision: { appSpecContent: { content: 'secret stuff' } } }, ''],
    [{}, ''],
  ])('%j reads %j', (input, expected) => {
    expect(describeResource(input)).toBe(expected);
  });

  test('a long or multi-line value is cut to one short line', () => {
    const described = describeResource({ family: `line1\n${'x'.repeat(200)}` });
    expect(described).not.toContain('\n');
    expect(described.length).toBeLessThanOrEqual('family '.length + 64);
    expect(described.endsWith('…')).toBe(true);
  });
});
