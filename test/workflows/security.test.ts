// The workflows and examples are safe to copy: no caller-controlled data spliced into scripts,
// third-party actions pinned to commits, and permissions stated for every job.
import { describe, expect, it } from 'vitest';
import {
  expressions,
  ourAction,
  ourWorkflow,
  type Workflow,
  workflowFiles,
} from './workflow-files.ts';

const files = workflowFiles();
const UNTRUSTED = /\b(inputs\.|github\.event\.|github\.head_ref\b)/;

function injections(wf: Workflow): string[] {
  return Object.entries(wf.doc.jobs).flatMap(([jobId, job]) =>
    (job.steps ?? [])
      .filter((s) => typeof s.run === 'string')
      .flatMap((s) =>
        expressions(s.run!)
          .filter((e) => UNTRUSTED.test(e))
          .map((e) => `${wf.file} jobs.${jobId} '${s.name ?? s.run}': \${{ ${e} }} in run:`),
      ),
  );
}

/** Third-party `uses:` lines not pinned to a full commit SHA with the version beside it. */
function unpinned(wf: Workflow): string[] {
  return wf.text
    .split('\n')
    .map((line) => /^\s*(?:-\s+)?uses:\s*(\S+)(.*)$/.exec(line))
    .filter((m): m is RegExpExecArray => m !== null)
    .filter((m) => !m[1]!.startsWith('./') && !ourAction(m[1]!) && !ourWorkflow(m[1]!))
    .filter((m) => !/@[0-9a-f]{40}$/.test(m[1]!) || !/#\s*v\d+(\.\d+)*\b/.test(m[2]!))
    .map((m) => `${wf.file}: ${m[0].trim()}`);
}

function withoutPermissions(wf: Workflow): string[] {
  return Object.entries(wf.doc.jobs)
    .filter(([, job]) => job.permissions === undefined)
    .map(([id]) => `${wf.file} jobs.${id}`);
}

describe('workflow security', () => {
  for (const wf of files) {
    describe(wf.file, () => {
      it('passes inputs, event data and head_ref to run: scripts only through env:', () => {
        expect(injections(wf)).toEqual([]);
      });
      it('pins every third-party action to a full commit SHA with its version in a comment', () => {
        expect(unpinned(wf)).toEqual([]);
      });
      it('states permissions for every job', () => {
        expect(withoutPermissions(wf)).toEqual([]);
      });
    });
  }

  it('catches a spliced input, a tag-pinned action and a job without permissions', () => {
    const text = [
      'jobs:',
      '  build:',
      '    steps:',
      '      - uses: actions/checkout@v4',
      '      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683',
      '      - uses: ./.fargate-delivery/actions/deploy',
      '      - name: greet',
      `        run: echo "\${{ github.event.pull_request.title }}"`,
    ].join('\n');
    const wf: Workflow = {
      file: 'bad.yml',
      text,
      doc: {
        on: {},
        jobs: {
          build: {
            steps: [
              { uses: 'actions/checkout@v4' },
              { name: 'greet', run: `echo "\${{ github.event.pull_request.title }}"` },
            ],
          },
        },
      },
    };
    expect(injections(wf)).toEqual([
      `bad.yml jobs.build 'greet': \${{ github.event.pull_request.title }} in run:`,
    ]);
    expect(unpinned(wf)).toEqual([
      'bad.yml: - uses: actions/checkout@v4',
      'bad.yml: - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683',
    ]);
    expect(withoutPermissions(wf)).toEqual(['bad.yml jobs.build']);
  });
});
