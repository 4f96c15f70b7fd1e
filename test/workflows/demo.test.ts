// `npm run demo` runs the deploy workflow end to end against the sandbox and says so.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { expect, it } from 'vitest';
import { repoRoot } from '../harness/index.ts';

function runDemo(): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      path.join(repoRoot, 'node_modules', '.bin', 'node'),
      [path.join(repoRoot, 'scripts', 'demo.ts')],
      { cwd: repoRoot, env: { ...process.env, DEMO_SPEED: '600', NO_COLOR: '1' } },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

it('npm run demo deploys v1.1.0 through the deploy workflow and ends on one success line', async () => {
  const { code, stdout, stderr } = await runDemo();

  const last = stdout.trim().split('\n').pop() ?? '';
  expect(last, stderr).toMatch(
    /^demo: success — web v1\.1\.0 deployed to prod\/web \(CODE_DEPLOY, Succeeded, deployment d-[A-Z0-9]+\) in \d+s, within its 10m budget$/,
  );
  expect(code).toBe(0);
  // Each job's steps print as they run, then the run's summary.
  expect(stdout).toContain('▶ Warm the layer cache with the previous release');
  expect(stdout).toContain('▶ Scan (./.fargate-delivery/actions/ecr-scan)');
  expect(stdout).toContain('══ job summary ══');
}, 120_000);
