import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach } from 'vitest';
import { runAction } from '../../harness/index.ts';
import { type Sandbox, start } from '../../sandbox/index.ts';

const fixtures = path.resolve(import.meta.dirname, '../../fixtures/deploy');
const cleanups: Array<() => Promise<void> | void> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A sandbox from one of the deploy fixtures, fast enough that a 5-minute deploy takes a second. */
export async function sandbox(name: 'codedeploy' | 'ecs', speed = 300): Promise<Sandbox> {
  const sb = await start(path.join(fixtures, `${name}.yaml`), { speed, registry: false });
  cleanups.push(() => sb.stop());
  return sb;
}

/** A workspace holding the task definition fixture as td.json, and `broken.json` with an unhealthy image. */
export function workspace(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'deploy-e2e-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  copyFileSync(path.join(fixtures, 'task-definition.json'), path.join(dir, 'td.json'));
  const broken = JSON.parse(readFileSync(path.join(fixtures, 'task-definition.json'), 'utf8'));
  broken.containerDefinitions[0].image = 'web:broken';
  writeFileSync(path.join(dir, 'broken.json'), JSON.stringify(broken));
  return dir;
}

export function deployStep(sb: Sandbox, inputs: Record<string, string>, dir = workspace()) {
  return runAction('deploy', {
    workspace: dir,
    env: sb.env,
    inputs: { 'task-definition': 'td.json', cluster: 'prod', 'poll-interval': '100ms', ...inputs },
  });
}

/** A test listener on 127.0.0.1 answering `status`. */
export async function testListener(status: number): Promise<string> {
  const server: Server = createServer((_req, res) => res.writeHead(status).end());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/health`;
}

/** Waits (real time) until the sandbox state satisfies `done`. */
export async function eventually(done: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!done()) {
    if (Date.now() > deadline) throw new Error('sandbox state not reached in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}
