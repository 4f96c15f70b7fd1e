import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { repoRoot } from '../../harness/index.ts';

/** A job workspace holding this action's fixtures under `deploy/`; removed with `cleanup`. */
export function fixtureWorkspace(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), 'render-e2e-'));
  cpSync(path.join(repoRoot, 'test/fixtures/render-task-definition'), path.join(dir, 'deploy'), {
    recursive: true,
  });
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A port nothing listens on: any AWS call sent there fails at once. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
