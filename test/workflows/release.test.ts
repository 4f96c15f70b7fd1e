// .github/workflows/release.yml releases only `vX.Y.Z` tags, only after CI's checks pass on the
// committed bundles, with the changelog's notes, and moves the major tag only forward. Its shell
// steps run here with bash, as the runner would run them.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { releaseNotes } from '../../scripts/release-notes.mjs';
import { parseFileCommands, repoRoot } from '../harness/index.ts';
import { type Step, workflowFiles } from './workflow-files.ts';

const release = workflowFiles().find((w) => w.file === '.github/workflows/release.yml')!;
const { check, publish } = release.doc.jobs as Record<string, (typeof release.doc.jobs)[string]>;

const scratch: string[] = [];
afterEach(() => {
  for (const dir of scratch.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function stepNamed(steps: Step[] | undefined, name: string): Step {
  const step = steps?.find((s) => s.name === name);
  if (!step) throw new Error(`no step '${name}'`);
  return step;
}

/** Runs a `run:` step with bash as the runner does, in `cwd`; returns its outputs and log. */
function runStep(step: Step, env: Record<string, string>, cwd = repoRoot) {
  const dir = mkdtempSync(path.join(tmpdir(), 'release-step-'));
  scratch.push(dir);
  const output = path.join(dir, 'output');
  writeFileSync(output, '');
  const result = spawnSync('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', step.run!], {
    cwd,
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', GITHUB_OUTPUT: output, ...env },
  });
  return {
    code: result.status,
    stdout: result.stdout,
    outputs: parseFileCommands(readFileSync(output, 'utf8')),
  };
}

/** GitHub's tag filter: `+` one or more of the preceding, `[…]` a class, `*` anything but `/`. */
function filterMatches(pattern: string, tag: string): boolean {
  const source = pattern
    .replace(/\./g, '\\.')
    .replace(/\*\*/g, '.*')
    .replace(/(?<!\.)\*/g, '[^/]*');
  return new RegExp(`^${source}$`).test(tag);
}

describe('release.yml', () => {
  it('runs on release tags alone: not on branches, and not on the major tag it moves', () => {
    expect(Object.keys(release.doc.on)).toEqual(['push']);
    const tags = (release.doc.on.push as { tags: string[]; branches?: unknown }).tags;
    expect((release.doc.on.push as { branches?: unknown }).branches).toBeUndefined();
    const matches = (tag: string) => tags.some((p) => filterMatches(p, tag));
    expect(['v1.0.0', 'v1.12.3', 'v10.0.1'].filter(matches)).toEqual([
      'v1.0.0',
      'v1.12.3',
      'v10.0.1',
    ]);
    expect(['v1', 'v1.2', 'release-1.0.0', '1.0.0'].filter(matches)).toEqual([]);
  });

  it.each([
    ['v1.4.2', { version: '1.4.2', major: 'v1' }],
    ['v0.9.0', { version: '0.9.0', major: 'v0' }],
    ['v12.0.10', { version: '12.0.10', major: 'v12' }],
  ])('reads %s as version and major tag', (tag, outputs) => {
    const result = runStep(stepNamed(check!.steps, 'Read the version from the tag'), { TAG: tag });
    expect(result.code).toBe(0);
    expect(result.outputs).toEqual(outputs);
  });

  it.each(['v1.2', 'v01.2.3', 'v1.2.3-rc.1', 'v1.2.3.4'])('refuses %s in one line', (tag) => {
    const result = runStep(stepNamed(check!.steps, 'Read the version from the tag'), { TAG: tag });
    expect(result.code).toBe(1);
    expect(result.stdout.trim()).toBe(
      `::error::tag '${tag}' is not a release tag vX.Y.Z (like v1.4.2): nothing is released`,
    );
    expect(result.outputs).toEqual({});
  });

  it('checks before it publishes: version, changelog, CI on a clean clone, the committed dist/', () => {
    expect(check!.steps!.map((s) => s.name)).toEqual([
      'Read the version from the tag',
      'Check out the tagged commit',
      'Check that package.json carries the version and CHANGELOG.md describes it',
      'Lint, typecheck, docs, check-dist and every test (.ci/run)',
      'Check that the tests ran the committed dist/',
    ]);
    expect(
      stepNamed(check!.steps, 'Lint, typecheck, docs, check-dist and every test (.ci/run)').run,
    ).toBe('bash .ci/run');
    expect(readFileSync(path.join(repoRoot, '.ci', 'run'), 'utf8')).toMatch(/npm run check-dist/);
    expect(publish!.needs).toBe('check');
    expect(publish!.steps!.map((s) => s.name)).toEqual([
      'Check out the tagged commit, with every tag',
      'Create or update the GitHub release',
      'Decide whether the major tag moves',
      'Move the major tag',
    ]);
  });

  it('asks for write access only where it publishes', () => {
    expect((release.doc as { permissions?: unknown }).permissions).toEqual({});
    expect(check!.permissions).toEqual({ contents: 'read' });
    expect(publish!.permissions).toEqual({ contents: 'write' });
  });

  it('refuses a tag whose version package.json does not carry', () => {
    const step = stepNamed(
      check!.steps,
      'Check that package.json carries the version and CHANGELOG.md describes it',
    );
    const packageVersion = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8'))
      .version as string;
    const result = runStep(step, { VERSION: '99.0.0' });
    expect(result.code).toBe(1);
    expect(result.stdout.trim()).toBe(
      `::error::package.json is at version ${packageVersion}, not 99.0.0: set it (npm version 99.0.0 --no-git-tag-version) and tag again`,
    );
  });

  describe('the major tag', () => {
    function repository(tags: string[]): string {
      const dir = mkdtempSync(path.join(tmpdir(), 'release-tags-'));
      scratch.push(dir);
      const git = (...args: string[]) => {
        const r = spawnSync('git', args, {
          cwd: dir,
          encoding: 'utf8',
          env: {
            ...process.env,
            GIT_AUTHOR_NAME: 'a',
            GIT_AUTHOR_EMAIL: 'a@example.com',
            GIT_COMMITTER_NAME: 'a',
            GIT_COMMITTER_EMAIL: 'a@example.com',
          },
        });
        if (r.status !== 0) throw new Error(r.stderr);
      };
      git('init', '--quiet');
      for (const tag of tags) {
        git('commit', '--quiet', '--allow-empty', '-m', tag);
        git('tag', tag);
      }
      return dir;
    }
    const decide = (dir: string, tag: string, major: string) =>
      runStep(
        stepNamed(publish!.steps, 'Decide whether the major tag moves'),
        { TAG: tag, MAJOR: major },
        dir,
      ).outputs.move;

    it('moves to the newest release of its major version, and never back', () => {
      const dir = repository(['v1.0.0', 'v1.2.0', 'v1.10.0', 'v1.9.1', 'v2.0.0']);
      expect(decide(dir, 'v1.10.0', 'v1')).toBe('true');
      expect(decide(dir, 'v1.9.1', 'v1')).toBe('false');
      expect(decide(dir, 'v2.0.0', 'v2')).toBe('true');
    });

    it('moves only when the decision says so', () => {
      expect(stepNamed(publish!.steps, 'Move the major tag').if).toBe(
        "steps.major.outputs.move == 'true'",
      );
    });
  });
});

describe('release notes from CHANGELOG.md', () => {
  const changelog = [
    '# Changelog',
    '',
    '## [Unreleased]',
    '',
    '## [1.1.0] - 2026-03-01',
    '',
    '### Fixed',
    '',
    '- The budget counts from the deploy job.',
    '',
    '## [1.0.0]',
    '',
    '- First.',
    '',
    '## [0.9.0] - 2026-01-01',
    '',
  ].join('\n');

  it("takes one version's section, without its heading or the next one", () => {
    expect(releaseNotes(changelog, '1.1.0')).toEqual({
      notes: '### Fixed\n\n- The budget counts from the deploy job.\n',
    });
  });

  it.each([
    [
      '2.0.0',
      "CHANGELOG.md has no section for 2.0.0: add '## [2.0.0] - YYYY-MM-DD' with its notes",
    ],
    ['1.0.0', "CHANGELOG.md: the section for 1.0.0 has no date: '## [1.0.0] - YYYY-MM-DD'"],
    ['0.9.0', 'CHANGELOG.md: the section for 0.9.0 is empty'],
  ])('refuses to release %s: %s', (version, error) => {
    expect(releaseNotes(changelog, version)).toEqual({ error });
  });

  it('keeps the repository’s own changelog in that shape: dated versions under Unreleased', () => {
    const text = readFileSync(path.join(repoRoot, 'CHANGELOG.md'), 'utf8');
    const headings = text.split('\n').filter((l) => l.startsWith('## '));
    expect(headings[0]).toBe('## [Unreleased]');
    for (const heading of headings.slice(1)) {
      expect(heading).toMatch(/^## \[\d+\.\d+\.\d+\] - \d{4}-\d{2}-\d{2}$/);
      const version = /\[(.+)\]/.exec(heading)![1]!;
      expect(releaseNotes(text, version).notes).toBeDefined();
    }
  });
});
