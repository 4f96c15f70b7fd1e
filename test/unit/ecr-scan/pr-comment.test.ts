import { describe, expect, test } from 'vitest';
import { countSeverities } from '../../../src/actions/ecr-scan/findings.ts';
import {
  prCommentMarker,
  renderPrComment,
  upsertPrComment,
} from '../../../src/actions/ecr-scan/pr-comment.ts';
import { FakeGitHub } from './fake-github.ts';
import { finding } from './helpers.ts';

const image = { repository: 'web', tag: 'pr-12' };
const high = finding({ id: 'CVE-2024-1111', packageName: 'openssl', severity: 'HIGH' });
const critical = finding({ id: 'CVE-2024-2222', packageName: 'curl', severity: 'CRITICAL' });
const low = finding({ id: 'CVE-2024-3333', packageName: 'tar', severity: 'LOW' });

describe('the PR comment', () => {
  test('without a base image, lists findings at or above ticket-severity with counts for all', () => {
    const body = renderPrComment({
      image,
      findings: [low, high, critical],
      counts: countSeverities([low, high, critical]),
      ignored: 2,
      level: 'high',
    });
    expect(body.startsWith(prCommentMarker(image))).toBe(true);
    expect(body).toContain('| 1 | 1 | 0 | 1 | 0 | 0 | 2 |');
    expect(body).toContain(
      '**2 findings at or above HIGH** (no scanned base image was found to compare with)',
    );
    expect(body.indexOf('CVE-2024-2222')).toBeLessThan(body.indexOf('CVE-2024-1111'));
    expect(body).not.toContain('CVE-2024-3333');
  });

  test('with a base image, lists only what is new, at any severity, and how many are gone', () => {
    const gone = finding({ id: 'CVE-2020-0001', packageName: 'zlib1g' });
    const body = renderPrComment({
      image,
      findings: [high, low],
      counts: countSeverities([high, low]),
      ignored: 0,
      level: 'high',
      base: { image: { repository: 'web', tag: 'main' }, findings: [high, gone] },
    });
    expect(body).toContain('**1 new finding** compared with the base image `web:main`');
    expect(body).toContain('CVE-2024-3333');
    expect(body).not.toMatch(/\| HIGH \| \[CVE-2024-1111/);
    expect(body).toContain('1 finding of the base image is gone in this one.');
  });

  test('names the path of a package at two paths, and counts suppressed findings apart', () => {
    const semver = finding({
      id: 'CVE-2022-25883',
      packageName: 'semver',
      severity: 'HIGH',
      filePath: 'app/node_modules/semver/package.json',
    });
    const body = renderPrComment({
      image,
      findings: [
        semver,
        { ...semver, filePath: 'app/node_modules/x/node_modules/semver/package.json' },
      ],
      counts: countSeverities([semver, semver]),
      ignored: 0,
      suppressed: 3,
      level: 'high',
    });
    expect(body).toContain('`semver` at `app/node_modules/semver/package.json`');
    expect(body).toContain('`semver` at `app/node_modules/x/node_modules/semver/package.json`');
    expect(body).toContain('3 more suppressed or closed in Amazon Inspector (not counted).');
    const odd = renderPrComment({
      image,
      findings: [{ ...semver, filePath: 'app/a|b\nc/package.json' }],
      counts: countSeverities([semver]),
      ignored: 0,
      level: 'high',
    });
    expect(odd).toContain('`semver` at `app/a\\|b c/package.json` |');
  });

  test('says so when nothing is new', () => {
    const body = renderPrComment({
      image,
      findings: [high],
      counts: countSeverities([high]),
      ignored: 0,
      level: 'high',
      base: { image: { repository: 'web', tag: 'main' }, findings: [high] },
    });
    expect(body).toContain('No new findings compared with the base image `web:main`.');
    expect(body).not.toContain('| Severity |');
  });

  test('stays under its size budget with a note saying how many rows were left out', () => {
    const many = Array.from({ length: 3000 }, (_, i) =>
      finding({ id: `CVE-2024-${10000 + i}`, packageName: `pkg-${i}` }),
    );
    const body = renderPrComment({
      image,
      findings: many,
      counts: countSeverities(many),
      ignored: 0,
      level: 'high',
      budget: 20_000,
    });
    expect(body.length).toBeLessThan(20_500);
    expect(body).toMatch(/_… [\d,]+ more not shown to stay within GitHub's size limit/);
  });

  test('one comment per image repository: created once, then edited in place, and not rewritten when unchanged', async () => {
    const gh = new FakeGitHub();
    const repo = { owner: 'acme', repo: 'web' };
    gh.comments.push({ id: 1, issue_number: 12, body: 'LGTM', html_url: 'x' });
    const marker = prCommentMarker(image);
    const body1 = renderPrComment({
      image,
      findings: [high],
      counts: countSeverities([high]),
      ignored: 0,
      level: 'high',
    });
    const body2 = renderPrComment({
      image,
      findings: [high, critical],
      counts: countSeverities([high, critical]),
      ignored: 0,
      level: 'high',
    });

    expect(await upsertPrComment(gh.octokit, repo, 12, marker, body1)).toMatchObject({
      action: 'created',
      writes: 1,
    });
    expect(await upsertPrComment(gh.octokit, repo, 12, marker, body1)).toMatchObject({
      action: 'unchanged',
      writes: 0,
    });
    expect(await upsertPrComment(gh.octokit, repo, 12, marker, body2)).toMatchObject({
      action: 'updated',
      writes: 1,
    });
    expect(gh.comments.filter((c) => c.body.includes(marker))).toHaveLength(1);
    expect(gh.comments.find((c) => c.id === 1)!.body).toBe('LGTM');

    const other = prCommentMarker({ repository: 'api' });
    await upsertPrComment(gh.octokit, repo, 12, other, `${other}\nhello`);
    expect(gh.comments).toHaveLength(3);
  });
});
