import { ECSServiceException } from '@aws-sdk/client-ecs';
import { describe, expect, test } from 'vitest';
import {
  ActionError,
  AggregateActionError,
  describeError,
  InputError,
} from '../../../src/lib/errors.ts';

describe('what the user reads when an action fails', () => {
  test('an input error is the input name and the problem', () => {
    expect(describeError(new InputError('cluster', 'is required'))).toBe('cluster: is required');
  });
  test('an action error is its message, on one line', () => {
    expect(describeError(new ActionError('deploy failed:\n  hook BeforeAllowTraffic failed'))).toBe(
      'deploy failed: hook BeforeAllowTraffic failed',
    );
  });
  test('several problems are joined into one line', () => {
    const err = new AggregateActionError('task definition is invalid', [
      'a is wrong',
      'b is wrong',
    ]);
    expect(describeError(err)).toBe('task definition is invalid: a is wrong; b is wrong');
    expect(err.problems).toEqual(['a is wrong', 'b is wrong']);
  });
  test('an AWS service error names the exception and the HTTP status', () => {
    const err = new ECSServiceException({
      name: 'ServiceNotFoundException',
      message: 'Service not found.',
      $fault: 'client',
      $metadata: { httpStatusCode: 400 },
    });
    expect(describeError(err)).toBe('AWS ServiceNotFoundException (HTTP 400): Service not found.');
  });
  test('a GitHub request error names the request and status', () => {
    const err = Object.assign(new Error('Resource not accessible by integration'), {
      name: 'HttpError',
      status: 403,
      request: { method: 'POST', url: 'https://api.github.com/repos/a/b/issues' },
    });
    expect(describeError(err)).toBe(
      'GitHub API POST https://api.github.com/repos/a/b/issues failed with 403: Resource not accessible by integration',
    );
  });
  test('anything else thrown is still one line', () => {
    expect(describeError('plain\nstring')).toBe('plain string');
    expect(describeError(new Error(''))).toBe('Error');
  });
});
