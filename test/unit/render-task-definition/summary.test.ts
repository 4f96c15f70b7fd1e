import { describe, expect, test } from 'vitest';
import {
  diffDefinitions,
  flatten,
  formatDiff,
} from '../../../src/actions/render-task-definition/diff.ts';
import { renderSummary } from '../../../src/actions/render-task-definition/summary.ts';

const before = {
  family: 'web',
  cpu: '256',
  containerDefinitions: [
    {
      name: 'web',
      image: 'acme/web:1',
      command: ['node', 'a.js'],
      environment: [
        { name: 'A', value: '1' },
        { name: 'B', value: '2' },
      ],
    },
    { name: 'proxy', image: 'envoy:1', essential: false },
  ],
};

describe('the diff of what the render changed', () => {
  test('containers and variables are named, not numbered', () => {
    expect([...flatten(before).keys()]).toEqual([
      'family',
      'cpu',
      'containerDefinitions[web].name',
      'containerDefinitions[web].image',
      'containerDefinitions[web].command',
      'containerDefinitions[web].environment[A].name',
      'containerDefinitions[web].environment[A].value',
      'containerDefinitions[web].environment[B].name',
      'containerDefinitions[web].environment[B].value',
      'containerDefinitions[proxy].name',
      'containerDefinitions[proxy].image',
      'containerDefinitions[proxy].essential',
    ]);
  });

  test('changes, additions and removals read as a diff', () => {
    const after = structuredClone(before);
    after.cpu = '512';
    after.containerDefinitions[0]!.image = 'acme/web:2';
    after.containerDefinitions[0]!.command = ['node', 'b.js'];
    after.containerDefinitions[0]!.environment = [
      { name: 'Z', value: '0' },
      { name: 'A', value: '1' },
    ];
    expect(formatDiff(diffDefinitions(before, after))).toEqual([
      '- cpu: 256',
      '+ cpu: 512',
      '- containerDefinitions[web].image: acme/web:1',
      '+ containerDefinitions[web].image: acme/web:2',
      '- containerDefinitions[web].command: ["node","a.js"]',
      '+ containerDefinitions[web].command: ["node","b.js"]',
      '+ containerDefinitions[web].environment[Z].name: Z',
      '+ containerDefinitions[web].environment[Z].value: 0',
      '- containerDefinitions[web].environment[B].name: B',
      '- containerDefinitions[web].environment[B].value: 2',
    ]);
  });

  test('an unchanged definition has no changes', () => {
    expect(diffDefinitions(before, structuredClone(before))).toEqual([]);
  });
});

describe('the job summary', () => {
  test('lists each container with its image and shows the diff', () => {
    const after = structuredClone(before);
    after.containerDefinitions[0]!.image = 'acme/web@sha256:abc';
    const summary = renderSummary({
      family: 'web',
      file: '/tmp/runner/task-definition-x/web.json',
      comparedWith: 'live revision web:7',
      definition: after,
      changes: diffDefinitions(before, after),
      pinned: [{ container: 'web', from: 'acme/web:2', to: 'acme/web@sha256:abc' }],
    });
    expect(summary).toContain('### Task definition `web` rendered');
    expect(summary).toContain('| web | `acme/web@sha256:abc` (pinned from `acme/web:2`) | yes |');
    expect(summary).toContain('| proxy | `envoy:1` | no |');
    expect(summary).toContain('#### 1 change against live revision web:7');
    expect(summary).toContain(
      '```diff\n- containerDefinitions[web].image: acme/web:1\n+ containerDefinitions[web].image: acme/web@sha256:abc\n```',
    );
  });

  test('says so when nothing changed', () => {
    const summary = renderSummary({
      family: 'web',
      file: 'web.json',
      comparedWith: 'deploy/td.json',
      definition: before,
      changes: [],
      pinned: [],
    });
    expect(summary).toContain('No changes against deploy/td.json.');
  });
});
