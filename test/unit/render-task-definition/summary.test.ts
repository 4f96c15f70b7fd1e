import { describe, expect, test } from 'vitest';
import {
  diffDefinitions,
  flatten,
  formatDiff,
} from '../../../src/actions/render-task-definition/diff.ts';
import { renderSummary } from '../../../src/actions/render-task-definition/summary.ts';
import { renderGitHub } from '../../harness/github-markdown.ts';

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

  test('changes, additions and removals read as a diff, with values when asked for', () => {
    const after = structuredClone(before);
    after.cpu = '512';
    after.containerDefinitions[0]!.image = 'acme/web:2';
    after.containerDefinitions[0]!.command = ['node', 'b.js'];
    after.containerDefinitions[0]!.environment = [
      { name: 'Z', value: '0' },
      { name: 'A', value: '1' },
    ];
    expect(formatDiff(diffDefinitions(before, after), true).lines).toEqual([
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

  test('by default environment variables, commands, labels and log options are named without values', () => {
    const after = structuredClone(before) as Record<string, unknown> & typeof before;
    after.containerDefinitions[0]!.image = 'acme/web:2';
    after.containerDefinitions[0]!.command = ['node', '--token=s3cret'];
    after.containerDefinitions[0]!.environment = [
      { name: 'DATABASE_URL', value: 'postgres://app:S3cret@db/app' },
      { name: 'A', value: '2' },
    ];
    Object.assign(after.containerDefinitions[0]!, {
      dockerLabels: { 'com.example.token': 'abc123' },
      logConfiguration: { logDriver: 'splunk', options: { 'splunk-token': 'tok-123' } },
    });
    const diff = formatDiff(diffDefinitions(before, after));
    expect(diff.lines).toEqual([
      '- containerDefinitions[web].image: acme/web:1',
      '+ containerDefinitions[web].image: acme/web:2',
      '! containerDefinitions[web].command (changed)',
      '+ containerDefinitions[web].environment[DATABASE_URL] (added)',
      '! containerDefinitions[web].environment[A] (changed)',
      '+ containerDefinitions[web].dockerLabels.com.example.token (added)',
      '+ containerDefinitions[web].logConfiguration.logDriver: splunk',
      '+ containerDefinitions[web].logConfiguration.options.splunk-token (added)',
      '- containerDefinitions[web].environment[B] (removed)',
    ]);
    expect(diff.hidden).toBe(6);
    for (const secret of ['S3cret', 's3cret', 'abc123', 'tok-123', '"2"', ': 2']) {
      expect(diff.lines.join('\n')).not.toContain(secret);
    }
  });

  test('a value with line breaks stays on its diff line', () => {
    const after = { ...before, family: 'web\n+ forged: line' };
    expect(formatDiff(diffDefinitions(before, after)).lines).toEqual([
      '- family: web',
      '+ family: web\\n+ forged: line',
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
      showValues: false,
    });
    expect(summary).toContain('### Task definition `web` rendered');
    expect(summary).toContain('| web | `acme/web@sha256:abc` (pinned from `acme/web:2`) | yes |');
    expect(summary).toContain('| proxy | `envoy:1` | no |');
    expect(summary).toContain('#### 1 change against live revision web:7');
    expect(summary).toContain(
      '```diff\n- containerDefinitions[web].image: acme/web:1\n+ containerDefinitions[web].image: acme/web@sha256:abc\n```',
    );
  });

  test('names changed variables and says how to see their values; show-values shows them', () => {
    const after = structuredClone(before);
    after.containerDefinitions[0]!.environment = [
      { name: 'A', value: 'postgres://app:S3cret@db/app' },
      { name: 'B', value: '2' },
    ];
    const input = {
      family: 'web',
      file: 'web.json',
      comparedWith: 'live revision web:7',
      definition: after,
      changes: diffDefinitions(before, after),
      pinned: [],
    };
    const hidden = renderSummary({ ...input, showValues: false });
    expect(hidden).toContain('! containerDefinitions[web].environment[A] (changed)');
    expect(hidden).not.toContain('S3cret');
    expect(hidden).toContain('set `show-values: true` to show them');
    const shown = renderSummary({ ...input, showValues: true });
    expect(shown).toContain(
      '+ containerDefinitions[web].environment[A].value: postgres://app:S3cret@db/app',
    );
  });

  test('a value holding a code fence cannot end the diff block', () => {
    const after = { ...before, family: 'x\n```\n## Forged' };
    const summary = renderSummary({
      family: 'web',
      file: 'web.json',
      comparedWith: 'deploy/td.json',
      definition: after,
      changes: diffDefinitions(before, after),
      pinned: [],
      showValues: false,
    });
    expect(renderGitHub(summary).headings).toEqual([
      'Task definition <code>web</code> rendered',
      '1 change against deploy/td.json',
    ]);
  });

  test('says so when nothing changed', () => {
    const summary = renderSummary({
      family: 'web',
      file: 'web.json',
      comparedWith: 'deploy/td.json',
      definition: before,
      changes: [],
      pinned: [],
      showValues: false,
    });
    expect(summary).toContain('No changes against deploy/td.json.');
  });
});
