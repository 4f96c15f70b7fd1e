import {
  DescribeImagesCommand,
  ECRClient,
  ImageNotFoundException,
  RepositoryNotFoundException,
} from '@aws-sdk/client-ecr';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, test } from 'vitest';
import { imageSize, parseEcrImage } from '../../../src/actions/deploy-budget/image.ts';

const ecrMock = mockClient(ECRClient);
const ecr = new ECRClient({ region: 'eu-west-1' });
beforeEach(() => ecrMock.reset());

// The DescribeImages response shape from the ECR API reference.
const detail = (size: number) => ({
  imageDetails: [
    {
      registryId: '123456789012',
      repositoryName: 'team/web',
      imageDigest: `sha256:${'b'.repeat(64)}`,
      imageTags: ['v1.2.0'],
      imageSizeInBytes: size,
      imagePushedAt: new Date('2024-05-01T12:00:00Z'),
      imageManifestMediaType: 'application/vnd.oci.image.manifest.v1+json',
      artifactMediaType: 'application/vnd.oci.image.config.v1+json',
    },
  ],
});

describe('the image size', () => {
  test("is ECR's imageSizeInBytes, asked of the registry the image host names", async () => {
    ecrMock.on(DescribeImagesCommand).resolves(detail(312_456_789));
    const image = parseEcrImage(
      'image',
      '123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/web:v1.2.0',
    );
    expect(await imageSize(ecr, image)).toBe(312_456_789);
    expect(ecrMock.commandCalls(DescribeImagesCommand)[0]!.args[0].input).toEqual({
      repositoryName: 'team/web',
      registryId: '123456789012',
      imageIds: [{ imageTag: 'v1.2.0' }],
    });
  });

  test('is looked up by digest when the reference pins one', async () => {
    ecrMock.on(DescribeImagesCommand).resolves(detail(1000));
    const digest = `sha256:${'c'.repeat(64)}`;
    await imageSize(ecr, parseEcrImage('image', `127.0.0.1:5000/web:v1@${digest}`));
    expect(ecrMock.commandCalls(DescribeImagesCommand)[0]!.args[0].input).toEqual({
      repositoryName: 'web',
      imageIds: [{ imageDigest: digest }],
    });
  });

  test('a missing image is named in one line', async () => {
    ecrMock.on(DescribeImagesCommand).rejects(
      new ImageNotFoundException({
        message: "The image with imageId {imageTag:'v9'} does not exist",
        $metadata: {},
      }),
    );
    await expect(imageSize(ecr, parseEcrImage('image', 'web:v9'))).rejects.toThrow(
      'image: web:v9: no such image in ECR (ImageNotFoundException); check the image input and aws-region',
    );
  });

  test('a missing repository is named in one line', async () => {
    ecrMock.on(DescribeImagesCommand).rejects(
      new RepositoryNotFoundException({
        message: 'The repository does not exist',
        $metadata: {},
      }),
    );
    await expect(imageSize(ecr, parseEcrImage('image', 'nope:v1'))).rejects.toThrow(
      'image: nope:v1: no such repository in ECR (RepositoryNotFoundException)',
    );
  });

  test('an answer without a size is an error, not a zero', async () => {
    ecrMock.on(DescribeImagesCommand).resolves({ imageDetails: [] });
    await expect(imageSize(ecr, parseEcrImage('image', 'web:v1'))).rejects.toThrow(
      'image: ECR reported no size for web:v1',
    );
  });
});
