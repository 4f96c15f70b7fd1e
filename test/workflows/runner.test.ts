// The workflow runner evaluates expressions and conditions as GitHub does.
import { describe, expect, it } from 'vitest';
import { condition, interpolate, jobOrder } from '../harness/workflow.ts';

const scope = {
  contexts: {
    inputs: { 'fail-on': 'critical', budget: '' },
    steps: { build: { outputs: { digest: 'sha256:abc' } }, existing: { outputs: {} } },
    github: { ref_name: 'v1.1.0', event_name: 'push' },
  },
  status: { failed: false },
};

describe('expressions', () => {
  it('interpolates inputs and step outputs, with hyphenated names', () => {
    expect(interpolate(`\${{ inputs.fail-on }}/\${{ steps.build.outputs.digest }}`, scope)).toBe(
      'critical/sha256:abc',
    );
  });
  it("returns the first truthy operand of || and the missing output as ''", () => {
    expect(
      interpolate(`\${{ steps.existing.outputs.digest || steps.build.outputs.digest }}`, scope),
    ).toBe('sha256:abc');
    expect(interpolate(`[\${{ steps.existing.outputs.digest }}]`, scope)).toBe('[]');
    expect(interpolate(`\${{ inputs.budget || '15m' }}`, scope)).toBe('15m');
  });
  it('compares strings without case and honours && and !=', () => {
    expect(interpolate(`\${{ github.event_name == 'PUSH' && 'yes' }}`, scope)).toBe('yes');
    expect(interpolate(`\${{ github.ref_name != 'v1.1.0' }}`, scope)).toBe('false');
  });
});

describe('conditions', () => {
  it('implies success() unless a status function is named', () => {
    const failed = { ...scope, status: { failed: true } };
    expect(condition("steps.existing.outputs.digest == ''", scope)).toBe(true);
    expect(condition("steps.existing.outputs.digest == ''", failed)).toBe(false);
    expect(condition(`\${{ always() && steps.build.outputs.digest != '' }}`, failed)).toBe(true);
    expect(condition('failure()', failed)).toBe(true);
    expect(condition(undefined, failed)).toBe(false);
  });
});

it('orders jobs after the jobs they need, and refuses a cycle', () => {
  expect(
    jobOrder({ deploy: { needs: ['build', 'scan'] }, scan: { needs: 'build' }, build: {} }),
  ).toEqual(['build', 'scan', 'deploy']);
  expect(() => jobOrder({ a: { needs: 'b' }, b: { needs: 'a' } })).toThrow(/cycle/);
});
