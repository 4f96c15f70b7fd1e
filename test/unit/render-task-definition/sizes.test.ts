import { describe, expect, test } from 'vitest';
import {
  fargateSizeProblem,
  parseCpuUnits,
  parseMemoryMiB,
} from '../../../src/actions/render-task-definition/sizes.ts';

describe('cpu and memory amounts', () => {
  test.each<[string, number | undefined]>([
    ['256', 256],
    ['1 vCPU', 1024],
    ['2vCPU', 2048],
    ['.25 vCPU', 256],
    ['0.5 vcpu', 512],
    ['16 vCPUs', 16384],
    ['1.1 vCPU', undefined],
    ['one', undefined],
    ['-256', undefined],
  ])('cpu %s is %s units', (text, units) => {
    expect(parseCpuUnits(text)).toBe(units);
  });

  test.each<[string, number | undefined]>([
    ['512', 512],
    ['512 MiB', 512],
    ['1GB', 1024],
    ['2 GB', 2048],
    ['0.5 GB', 512],
    ['8 GiB', 8192],
    ['2 TB', undefined],
    ['lots', undefined],
  ])('memory %s is %s MiB', (text, mib) => {
    expect(parseMemoryMiB(text)).toBe(mib);
  });
});

describe('Fargate task sizes', () => {
  test.each([
    [256, 512],
    [256, 2048],
    [512, 1024],
    [512, 4096],
    [1024, 2048],
    [1024, 8192],
    [2048, 4096],
    [2048, 9216],
    [2048, 16384],
    [4096, 8192],
    [4096, 30720],
    [8192, 16384],
    [8192, 20480],
    [8192, 61440],
    [16384, 32768],
    [16384, 40960],
    [16384, 122880],
  ])('cpu %i with memory %i runs on Fargate', (cpu, memory) => {
    expect(fargateSizeProblem(cpu, memory)).toBeUndefined();
  });

  test.each([
    [256, 3072, 'memory 3072 does not fit cpu 256 on Fargate (use 512, 1024, 2048 MiB)'],
    [512, 512, 'memory 512 does not fit cpu 512 on Fargate (use 1024, 2048, 3072, 4096 MiB)'],
    [
      1024,
      1024,
      'memory 1024 does not fit cpu 1024 on Fargate (use 2048–8192 in steps of 1024 MiB)',
    ],
    [
      2048,
      4500,
      'memory 4500 does not fit cpu 2048 on Fargate (use 4096–16384 in steps of 1024 MiB)',
    ],
    [
      4096,
      32768,
      'memory 32768 does not fit cpu 4096 on Fargate (use 8192–30720 in steps of 1024 MiB)',
    ],
    [
      8192,
      17408,
      'memory 17408 does not fit cpu 8192 on Fargate (use 16384–61440 in steps of 4096 MiB)',
    ],
    [
      16384,
      36864,
      'memory 36864 does not fit cpu 16384 on Fargate (use 32768–122880 in steps of 8192 MiB)',
    ],
    [
      3000,
      4096,
      'cpu 3000 is not a Fargate size (use one of 256, 512, 1024, 2048, 4096, 8192, 16384)',
    ],
  ])('cpu %i with memory %i is refused', (cpu, memory, problem) => {
    expect(fargateSizeProblem(cpu, memory)).toBe(problem);
  });
});
