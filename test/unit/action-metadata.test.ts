import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { readActionMetadata, repoRoot } from '../harness/index.ts';

const actions = readdirSync(path.join(repoRoot, 'actions'), { withFileTypes: true })
  .filter(
    (d) => d.isDirectory() && existsSync(path.join(repoRoot, 'actions', d.name, 'action.yml')),
  )
  .map((d) => d.name);

test('there are actions to check', () => {
  expect(actions.length).toBeGreaterThan(0);
});

describe.each(actions)('actions/%s/action.yml', (name) => {
  const meta = readActionMetadata(name);

  test('runs its own bundle on node24', () => {
    expect(meta.runs.using).toBe('node24');
    expect(meta.runs.main).toBe(`../../dist/${name}/index.js`);
  });

  test('declares exactly the inputs and outputs its names module defines', async () => {
    const names = (await import(path.join(repoRoot, 'src', 'actions', name, 'names.ts'))) as {
      INPUT: Record<string, string>;
      OUTPUT: Record<string, string>;
    };
    expect(Object.keys(meta.inputs).sort()).toEqual(Object.values(names.INPUT).sort());
    expect(Object.keys(meta.outputs).sort()).toEqual(Object.values(names.OUTPUT).sort());
  });

  test('describes every input and output', () => {
    for (const [input, spec] of Object.entries(meta.inputs)) {
      expect(spec.description, `input ${input}`).toBeTruthy();
    }
    for (const [output, spec] of Object.entries(meta.outputs)) {
      expect(spec.description, `output ${output}`).toBeTruthy();
    }
  });

  test('uses kebab-case names', () => {
    for (const key of [...Object.keys(meta.inputs), ...Object.keys(meta.outputs)]) {
      expect(key).toMatch(/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/);
    }
  });

  test('has an entry that only runs main', () => {
    expect(existsSync(path.join(repoRoot, 'src', 'actions', name, 'index.ts'))).toBe(true);
    expect(existsSync(path.join(repoRoot, 'src', 'actions', name, 'main.ts'))).toBe(true);
  });
});
