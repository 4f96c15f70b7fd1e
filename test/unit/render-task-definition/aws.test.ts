import {
  DescribeImagesCommand,
  DescribeRepositoriesCommand,
  ECRClient,
  ImageNotFoundException,
  RepositoryNotFoundException,
} from '@aws-sdk/client-ecr';
import {
  ClientException,
  DescribeTaskDefinitionCommand,
  type DescribeTaskDefinitionCommandOutput,
  ECSClient,
} from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, test } from 'vitest';
import type { RenderInputs } from '../../../src/actions/render-task-definition/inputs.ts';
import { pinImageDigests } from '../../../src/actions/render-task-definition/pin.ts';
import { render } from '../../../src/actions/render-task-definition/pipeline.ts';
import { readLiveDefinition } from '../../../src/actions/render-task-definition/source.ts';

const ecsMock = mockClient(ECSClient);
const ecrMock = mockClient(ECRClient);
const ecs = new ECSClient({ region: 'us-east-1' });
const ecr = new ECRClient({ region: 'us-east-1' });
const clients = { ecs: () => ecs, ecr: () => ecr };

const ACCOUNT = '123456789012';
const REGISTRY = `${ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com`;
const DIGEST = `sha256:${'a'.repeat(64)}`;
const OTHER_DIGEST = `sha256:${'b'.repeat(64)}`;

/** DescribeTaskDefinition's response as the API reference shows it, with include: [TAGS]. */
const LIVE: Omit<DescribeTaskDefinitionCommandOutput, '$metadata'> = {
  taskDefinition: {
    taskDefinitionArn: `arn:aws:ecs:us-east-1:${ACCOUNT}:task-definition/web:12`,
    family: 'web',
    revision: 12,
    status: 'ACTIVE',
    networkMode: 'awsvpc',
    requiresCompatibilities: ['FARGATE'],
    compatibilities: ['EC2', 'FARGATE'],
    requiresAttributes: [{ name: 'com.amazonaws.ecs.capability.task-eni' }],
    cpu: '256',
    memory: '512',
    registeredAt: new Date('2025-03-01T10:00:00Z'),
    registeredBy: `arn:aws:sts::${ACCOUNT}:assumed-role/deploy/gh`,
    containerDefinitions: [
      {
        name: 'web',
        image: `${REGISTRY}/web:1.0.0`,
        cpu: 0,
        essential: true,
        portMappings: [{ containerPort: 8080, hostPort: 8080, protocol: 'tcp' }],
        environment: [],
        mountPoints: [],
        volumesFrom: [],
      },
    ],
    volumes: [],
    placementConstraints: [],
  },
  tags: [{ key: 'team', value: 'payments' }],
};

function inputs(overrides: Partial<RenderInputs>): RenderInputs {
  return {
    source: { kind: 'family', reference: 'web' },
    images: [],
    environment: [],
    envFiles: [],
    secrets: [],
    dockerLabels: [],
    pinImageDigest: false,
    showValues: false,
    aws: {},
    ...overrides,
  };
}

beforeEach(() => {
  ecsMock.reset();
  ecrMock.reset();
});

describe('reading the live task definition', () => {
  test('asks for the tags and keeps them; drops what RegisterTaskDefinition refuses', async () => {
    ecsMock.on(DescribeTaskDefinitionCommand).resolves(LIVE);
    const live = await readLiveDefinition(ecs, 'web');
    expect(ecsMock.commandCalls(DescribeTaskDefinitionCommand)[0]!.args[0].input).toEqual({
      taskDefinition: 'web',
      include: ['TAGS'],
    });
    expect(live.revision).toBe('web:12');
    expect(live.definition).toMatchObject({
      family: 'web',
      tags: [{ key: 'team', value: 'payments' }],
    });
    for (const field of [
      'taskDefinitionArn',
      'revision',
      'status',
      'compatibilities',
      'registeredAt',
    ]) {
      expect(live.definition).not.toHaveProperty(field);
    }
  });

  test('an unknown family is one line naming it', async () => {
    ecsMock
      .on(DescribeTaskDefinitionCommand)
      .rejects(
        new ClientException({ message: 'Unable to describe task definition.', $metadata: {} }),
      );
    await expect(readLiveDefinition(ecs, 'nope:3')).rejects.toThrow(
      "task-definition-family: cannot read 'nope:3' from ECS: Unable to describe task definition.",
    );
  });

  test('the summary diff is against the live revision', async () => {
    ecsMock.on(DescribeTaskDefinitionCommand).resolves(LIVE);
    const result = await render(inputs({ image: `${REGISTRY}/web:1.1.0` }), clients);
    expect(result.comparedWith).toBe('live revision web:12');
    expect(result.changes).toEqual([
      {
        path: 'containerDefinitions[web].image',
        before: `${REGISTRY}/web:1.0.0`,
        after: `${REGISTRY}/web:1.1.0`,
      },
    ]);
  });

  test('a file render never builds an AWS client', async () => {
    const never = () => {
      throw new Error('no client expected');
    };
    const result = await render(
      inputs({
        source: {
          kind: 'file',
          path: 'td.json',
          definition: {
            family: 'job',
            containerDefinitions: [{ name: 'job', image: 'acme/job:1' }],
          },
        },
        image: 'acme/job:2',
      }),
      { ecs: never, ecr: never },
    );
    expect(result.images).toEqual({ job: 'acme/job:2' });
  });

  test('an invalid result is refused before any digest is looked up', async () => {
    ecsMock.on(DescribeTaskDefinitionCommand).resolves(LIVE);
    await expect(
      render(inputs({ cpu: 256, memory: 4096, pinImageDigest: true }), clients),
    ).rejects.toThrow(
      'task definition is invalid: cpu/memory: memory 4096 does not fit cpu 256 on Fargate (use 512, 1024, 2048 MiB)',
    );
    expect(ecrMock.calls()).toHaveLength(0);
  });

  test('several problems are listed in one line', async () => {
    ecsMock.on(DescribeTaskDefinitionCommand).resolves(LIVE);
    await expect(
      render(
        inputs({
          merge: {
            netwrokMode: 'awsvpc',
            containerDefinitions: [{ name: 'web', essential: 'yes' }],
          },
        }),
        clients,
      ),
    ).rejects.toThrow(
      'task definition has 2 problems: containerDefinitions[web].essential: expected a boolean, got string "yes"; netwrokMode: unknown key (did you mean \'networkMode\'?)',
    );
  });
});

function definitionWith(...images: string[]) {
  return {
    family: 'web',
    containerDefinitions: images.map((image, i) => ({ name: `c${i}`, image })),
  };
}

function firstImage(definition: Record<string, unknown>): unknown {
  return (definition.containerDefinitions as Array<{ image: string }>)[0]!.image;
}

/** DescribeImages' response as the API reference shows it. */
function imageDetail(repositoryName: string, tag: string, imageDigest: string) {
  return {
    imageDetails: [
      {
        registryId: ACCOUNT,
        repositoryName,
        imageDigest,
        imageTags: [tag],
        imageSizeInBytes: 52_428_800,
        imagePushedAt: new Date('2025-03-01T10:00:00Z'),
        imageManifestMediaType: 'application/vnd.oci.image.index.v1+json',
      },
    ],
  };
}

describe('pinning image digests', () => {
  test('an ECR tag becomes repository@digest, looked up in the account the host names', async () => {
    ecrMock.on(DescribeImagesCommand).resolves(imageDetail('team/web', '1.0.0', DIGEST));
    const { definition, pinned } = await pinImageDigests(
      ecr,
      definitionWith(`${REGISTRY}/team/web:1.0.0`),
    );
    expect(ecrMock.commandCalls(DescribeImagesCommand)[0]!.args[0].input).toEqual({
      registryId: ACCOUNT,
      repositoryName: 'team/web',
      imageIds: [{ imageTag: '1.0.0' }],
    });
    expect(firstImage(definition)).toBe(`${REGISTRY}/team/web@${DIGEST}`);
    expect(pinned).toEqual([
      { container: 'c0', from: `${REGISTRY}/team/web:1.0.0`, to: `${REGISTRY}/team/web@${DIGEST}` },
    ]);
    expect(ecrMock.commandCalls(DescribeRepositoriesCommand)).toHaveLength(0);
  });

  test('an image without a tag is pinned from latest', async () => {
    ecrMock.on(DescribeImagesCommand).resolves(imageDetail('web', 'latest', DIGEST));
    const { definition } = await pinImageDigests(ecr, definitionWith(`${REGISTRY}/web`));
    expect(ecrMock.commandCalls(DescribeImagesCommand)[0]!.args[0].input.imageIds).toEqual([
      { imageTag: 'latest' },
    ]);
    expect(firstImage(definition)).toBe(`${REGISTRY}/web@${DIGEST}`);
  });

  test('an image already pinned by digest is left alone, with no call', async () => {
    const image = `${REGISTRY}/web:1.0.0@${OTHER_DIGEST}`;
    const { definition, pinned } = await pinImageDigests(ecr, definitionWith(image));
    expect(firstImage(definition)).toBe(image);
    expect(pinned).toEqual([]);
    expect(ecrMock.calls()).toHaveLength(0);
  });

  test('a registry on another host is ECR when ECR knows the repository at that URI', async () => {
    ecrMock.on(DescribeRepositoriesCommand).resolves({
      repositories: [
        {
          repositoryArn: `arn:aws:ecr:us-east-1:${ACCOUNT}:repository/web`,
          registryId: ACCOUNT,
          repositoryName: 'web',
          repositoryUri: '127.0.0.1:5000/web',
          createdAt: new Date('2025-01-01T00:00:00Z'),
          imageTagMutability: 'MUTABLE',
        },
      ],
    });
    ecrMock.on(DescribeImagesCommand).resolves(imageDetail('web', '2', DIGEST));
    const { definition } = await pinImageDigests(ecr, definitionWith('127.0.0.1:5000/web:2'));
    expect(ecrMock.commandCalls(DescribeRepositoriesCommand)[0]!.args[0].input).toEqual({
      repositoryNames: ['web'],
    });
    expect(ecrMock.commandCalls(DescribeImagesCommand)[0]!.args[0].input).toEqual({
      registryId: ACCOUNT,
      repositoryName: 'web',
      imageIds: [{ imageTag: '2' }],
    });
    expect(firstImage(definition)).toBe(`127.0.0.1:5000/web@${DIGEST}`);
  });

  test('the same image in two containers is looked up once', async () => {
    ecrMock.on(DescribeImagesCommand).resolves(imageDetail('web', '1', DIGEST));
    await pinImageDigests(ecr, definitionWith(`${REGISTRY}/web:1`, `${REGISTRY}/web:1`));
    expect(ecrMock.commandCalls(DescribeImagesCommand)).toHaveLength(1);
  });

  test.each<[string, string, () => void, string]>([
    [
      'a tag ECR does not have',
      `${REGISTRY}/web:9.9.9`,
      () =>
        ecrMock.on(DescribeImagesCommand).rejects(
          new ImageNotFoundException({
            message:
              "The image with imageId {imageDigest:'null', imageTag:'9.9.9'} does not exist within the repository with name 'web' in the registry with id '123456789012'",
            $metadata: {},
          }),
        ),
      `pin-image-digest: tag not found in ECR: ${REGISTRY}/web:9.9.9`,
    ],
    [
      'a repository ECR does not have',
      `${REGISTRY}/gone:1`,
      () =>
        ecrMock
          .on(DescribeImagesCommand)
          .rejects(new RepositoryNotFoundException({ message: 'not found', $metadata: {} })),
      `pin-image-digest: no ECR repository 'gone' for ${REGISTRY}/gone:1`,
    ],
    [
      'a Docker Hub image',
      'nginx:1.27',
      () => {},
      'pin-image-digest: nginx:1.27 is not in Amazon ECR, so its tag cannot be pinned to a digest (pin it yourself as name@sha256:…, or set pin-image-digest: false)',
    ],
    [
      'another registry ECR does not know',
      'ghcr.io/acme/web:1',
      () =>
        ecrMock
          .on(DescribeRepositoriesCommand)
          .rejects(new RepositoryNotFoundException({ message: 'not found', $metadata: {} })),
      'pin-image-digest: ghcr.io/acme/web:1 is not in Amazon ECR, so its tag cannot be pinned to a digest (pin it yourself as name@sha256:…, or set pin-image-digest: false)',
    ],
    [
      'a repository of the same name at another URI',
      'ghcr.io/acme/web:1',
      () =>
        ecrMock.on(DescribeRepositoriesCommand).resolves({
          repositories: [{ repositoryName: 'acme/web', repositoryUri: `${REGISTRY}/acme/web` }],
        }),
      'pin-image-digest: ghcr.io/acme/web:1 is not in Amazon ECR, so its tag cannot be pinned to a digest (pin it yourself as name@sha256:…, or set pin-image-digest: false)',
    ],
  ])('%s is one clear error', async (_, image, arrange, message) => {
    arrange();
    await expect(pinImageDigests(ecr, definitionWith(image))).rejects.toThrow(message);
  });
});
