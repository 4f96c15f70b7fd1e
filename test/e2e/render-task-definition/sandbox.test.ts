// The built render-task-definition bundle, run the way the runner runs it, against the sandbox's
// ECS (live task definitions) and ECR (digests of real images in the sandbox's registry).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { DescribeImagesCommand, ECRClient } from '@aws-sdk/client-ecr';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { repoRoot, runAction } from '../../harness/index.ts';
import { type CallRecord, type Sandbox, start } from '../../sandbox/index.ts';

const ACTION = 'render-task-definition';
const SCENARIO = path.join(repoRoot, 'test/fixtures/render-task-definition/sandbox/scenario.yaml');
const ECR_HOST = '123456789012.dkr.ecr.us-east-1.amazonaws.com';
const WEB_ARN = 'arn:aws:ecs:us-east-1:123456789012:task-definition/web:7';
/** What DescribeTaskDefinition returns and RegisterTaskDefinition refuses. */
const REFUSED = [
  'taskDefinitionArn',
  'revision',
  'status',
  'requiresAttributes',
  'compatibilities',
  'registeredAt',
  'registeredBy',
];
const READ = /^(Describe|List|Get|BatchGet)/;

interface Rendered {
  containerDefinitions: Array<{ name: string; image: string; [key: string]: unknown }>;
  [key: string]: unknown;
}

function readRendered(file: string | undefined): Rendered {
  expect(file, 'task-definition output').toBeTruthy();
  return JSON.parse(readFileSync(file as string, 'utf8'));
}

let sandbox: Sandbox;
let registryHost: string;
/** Tag → digest, as ECR's DescribeImages reports it for the `web` repository. */
const digests: Record<string, string> = {};

beforeAll(async () => {
  sandbox = await start(SCENARIO);
  registryHost = sandbox.registry?.host ?? '';
  expect(registryHost).toMatch(/^127\.0\.0\.1:\d+$/);
  const ecr = new ECRClient({
    region: sandbox.env.AWS_REGION,
    endpoint: sandbox.env.AWS_ENDPOINT_URL,
    credentials: {
      accessKeyId: sandbox.env.AWS_ACCESS_KEY_ID as string,
      secretAccessKey: sandbox.env.AWS_SECRET_ACCESS_KEY as string,
    },
  });
  for (const tag of ['v1.0.0', 'v1.1.0']) {
    const { imageDetails = [] } = await ecr.send(
      new DescribeImagesCommand({ repositoryName: 'web', imageIds: [{ imageTag: tag }] }),
    );
    digests[tag] = imageDetails[0]?.imageDigest ?? '';
  }
  ecr.destroy();
  expect(digests['v1.0.0']).toMatch(/^sha256:[0-9a-f]{64}$/);
  expect(digests['v1.1.0']).toMatch(/^sha256:[0-9a-f]{64}$/);
  expect(digests['v1.1.0']).not.toBe(digests['v1.0.0']);
});
afterAll(async () => {
  await sandbox?.stop();
});

/** Runs the action and returns its result with the AWS calls it made. */
async function render(inputs: Record<string, string | boolean>) {
  const first = sandbox.calls.length;
  const result = await runAction(ACTION, { inputs, env: sandbox.env });
  const calls: CallRecord[] = sandbox.calls.slice(first);
  return { ...result, calls, callsTo: (op: string) => calls.filter((c) => c.operation === op) };
}

describe('render-task-definition reads the live task definition from ECS', () => {
  test.each([
    ['the family', 'web'],
    ['family:revision', 'web:7'],
    ['the task definition ARN', WEB_ARN],
  ])(
    '%s reads revision 7 with its tags, minus what RegisterTaskDefinition refuses',
    async (_, reference) => {
      const result = await render({ 'task-definition-family': reference });
      expect(result.errors).toEqual([]);
      expect(result.exitCode).toBe(0);

      const described = result.callsTo('DescribeTaskDefinition');
      expect(described).toHaveLength(1);
      expect(described[0]?.params).toEqual({ taskDefinition: reference, include: ['TAGS'] });
      expect(result.calls.every((c) => READ.test(c.operation))).toBe(true);

      const live = sandbox.ecs.findTaskDefinition('web:7')?.definition ?? {};
      expect(live).toMatchObject({ taskDefinitionArn: WEB_ARN, revision: 7 });
      const registrable = Object.fromEntries(
        Object.entries(live).filter(([key]) => !REFUSED.includes(key)),
      );
      const rendered = readRendered(result.outputs['task-definition']);
      expect(rendered).toEqual({
        ...registrable,
        tags: [
          { key: 'app', value: 'web' },
          { key: 'team', value: 'platform' },
        ],
      });
      for (const field of REFUSED) expect(rendered).not.toHaveProperty(field);
      expect(rendered.taskRoleArn).toBe('arn:aws:iam::123456789012:role/web-task');
      expect(result.outputs.family).toBe('web');
      expect(JSON.parse(result.outputs.images ?? '')).toEqual({ web: `${ECR_HOST}/web:v1.0.0` });
      expect(result.summary).toContain('No changes against live revision web:7.');
    },
  );

  test('an older revision is read as it was registered', async () => {
    const result = await render({ 'task-definition-family': 'web:6' });
    expect(result.exitCode).toBe(0);
    const rendered = readRendered(result.outputs['task-definition']);
    expect(rendered.containerDefinitions[0]?.image).toBe(`${ECR_HOST}/web:v0.9.0`);
    expect(rendered).not.toHaveProperty('taskRoleArn');
    expect(rendered.tags).toEqual([{ key: 'app', value: 'web' }]);
    expect(result.summary).toContain('No changes against live revision web:6.');
  });

  test('the job summary diffs the render against the live revision', async () => {
    const result = await render({
      'task-definition-family': 'web',
      image: `${ECR_HOST}/web:v1.1.0`,
      'environment-variables': 'LOG_LEVEL=debug\nPORT=9090',
    });
    expect(result.exitCode).toBe(0);
    expect(result.summary).toContain('#### 3 changes against live revision web:7');
    const diff = result.summary.split('```diff\n')[1]?.split('\n```')[0]?.split('\n');
    expect(diff).toEqual([
      `- containerDefinitions[web].image: ${ECR_HOST}/web:v1.0.0`,
      `+ containerDefinitions[web].image: ${ECR_HOST}/web:v1.1.0`,
      '! containerDefinitions[web].environment[PORT] (changed)',
      '+ containerDefinitions[web].environment[LOG_LEVEL] (added)',
    ]);
    expect(result.log).toContain('(3 changes against live revision web:7)');
  });
});

describe('render-task-definition pins image tags to the digests ECR reports', () => {
  test("an image in the sandbox's registry is pinned to the digest of its tag", async () => {
    const image = `${registryHost}/web:v1.0.0`;
    const pinned = `${registryHost}/web@${digests['v1.0.0']}`;
    const result = await render({
      'task-definition-family': 'web',
      image,
      'pin-image-digest': true,
    });
    expect(result.errors).toEqual([]);
    expect(result.exitCode).toBe(0);

    const rendered = readRendered(result.outputs['task-definition']);
    expect(rendered.containerDefinitions[0]?.image).toBe(pinned);
    expect(JSON.parse(result.outputs.images ?? '')).toEqual({ web: pinned });
    expect(result.summary).toContain(`| web | \`${pinned}\` (pinned from \`${image}\`) | yes |`);
    expect(result.summary).toContain(`+ containerDefinitions[web].image: ${pinned}`);
    expect(result.log).toContain(`web: pinned ${image} → ${pinned}`);
    expect(result.callsTo('DescribeImages').map((c) => c.params)).toEqual([
      expect.objectContaining({ repositoryName: 'web', imageIds: [{ imageTag: 'v1.0.0' }] }),
    ]);
  });

  test('an ECR-hosted image is looked up in the account its host names', async () => {
    const result = await render({ 'task-definition-family': 'web', 'pin-image-digest': true });
    expect(result.exitCode).toBe(0);
    const pinned = `${ECR_HOST}/web@${digests['v1.0.0']}`;
    expect(JSON.parse(result.outputs.images ?? '')).toEqual({ web: pinned });
    expect(result.callsTo('DescribeRepositories')).toEqual([]);
    expect(result.callsTo('DescribeImages').map((c) => c.params)).toEqual([
      { repositoryName: 'web', registryId: '123456789012', imageIds: [{ imageTag: 'v1.0.0' }] },
    ]);
    expect(result.summary).toContain('#### 1 change against live revision web:7');
    expect(result.log).toContain('(1 change against live revision web:7)');
  });

  test('an image already pinned by digest is left as it is, without asking ECR', async () => {
    const image = `${registryHost}/web@${digests['v1.1.0']}`;
    const result = await render({
      'task-definition-family': 'web',
      image,
      'pin-image-digest': true,
    });
    expect(result.exitCode).toBe(0);
    expect(readRendered(result.outputs['task-definition']).containerDefinitions[0]?.image).toBe(
      image,
    );
    expect(JSON.parse(result.outputs.images ?? '')).toEqual({ web: image });
    expect(result.calls.filter((c) => c.service === 'ecr')).toEqual([]);
    expect(result.summary).not.toContain('pinned from');
  });

  test('two containers of one repository are pinned to the digests of their own tags', async () => {
    const result = await render({
      'task-definition-family': 'web-worker',
      images: `web=${registryHost}/web:v1.1.0\nworker=${registryHost}/web:v1.0.0`,
      'pin-image-digest': true,
    });
    expect(result.errors).toEqual([]);
    expect(result.exitCode).toBe(0);
    const expected = {
      web: `${registryHost}/web@${digests['v1.1.0']}`,
      worker: `${registryHost}/web@${digests['v1.0.0']}`,
    };
    expect(JSON.parse(result.outputs.images ?? '')).toEqual(expected);
    const rendered = readRendered(result.outputs['task-definition']);
    expect(rendered.containerDefinitions.map((c) => [c.name, c.image])).toEqual(
      Object.entries(expected),
    );
    expect(rendered.containerDefinitions[1]?.command).toEqual(['node', 'worker.js']);
    expect(result.callsTo('DescribeImages').map((c) => c.params)).toEqual([
      expect.objectContaining({ imageIds: [{ imageTag: 'v1.1.0' }] }),
      expect.objectContaining({ imageIds: [{ imageTag: 'v1.0.0' }] }),
    ]);
    expect(result.summary).toContain('against live revision web-worker:3');
  });
});

describe('render-task-definition fails in one line and writes nothing', () => {
  function expectOneLineFailure(result: Awaited<ReturnType<typeof render>>, message: string) {
    expect(result.exitCode).toBe(1);
    expect(result.errors).toEqual([message]);
    expect(result.outputs).not.toHaveProperty('task-definition');
    expect(result.callsTo('RegisterTaskDefinition')).toEqual([]);
    expect(result.calls.filter((c) => !READ.test(c.operation))).toEqual([]);
  }

  test('a tag the repository does not have names the image', async () => {
    const image = `${registryHost}/web:v9.9.9`;
    const result = await render({
      'task-definition-family': 'web',
      image,
      'pin-image-digest': true,
    });
    expectOneLineFailure(result, `pin-image-digest: tag not found in ECR: ${image}`);
    expect(result.callsTo('DescribeImages')).toHaveLength(1);
  });

  test('a repository ECR does not have is not pinnable', async () => {
    const image = `${registryHost}/api:v1.0.0`;
    const result = await render({
      'task-definition-family': 'web',
      image,
      'pin-image-digest': true,
    });
    expectOneLineFailure(
      result,
      `pin-image-digest: ${image} is not in Amazon ECR, so its tag cannot be pinned to a digest (pin it yourself as name@sha256:…, or set pin-image-digest: false)`,
    );
  });

  test('an unknown family names the family', async () => {
    const result = await render({ 'task-definition-family': 'api' });
    expectOneLineFailure(
      result,
      "task-definition-family: cannot read 'api' from ECS: DescribeTaskDefinition (task definition api): ClientException: Unable to describe task definition.",
    );
    expect(result.callsTo('DescribeTaskDefinition')).toHaveLength(1);
  });
});
