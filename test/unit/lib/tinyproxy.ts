// Debian's tinyproxy on 127.0.0.1, started with a config of its own, so a test can show that a
// request went through a real forward proxy (the proxy's log has it) or around it.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';

export interface Tinyproxy {
  url: string;
  /** The request lines the proxy logged so far (`GET http://… HTTP/1.1`, `CONNECT host:port …`). */
  requests(): string[];
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function accepting(port: number, deadline: number, child: ChildProcess): Promise<void> {
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`tinyproxy exited with ${child.exitCode}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await delay(50);
  }
  throw new Error(`tinyproxy did not listen on 127.0.0.1:${port}`);
}

export async function startTinyproxy(): Promise<Tinyproxy> {
  const dir = mkdtempSync(path.join(tmpdir(), 'tinyproxy-'));
  const log = path.join(dir, 'tinyproxy.log');
  const port = await freePort();
  const config = path.join(dir, 'tinyproxy.conf');
  writeFileSync(
    config,
    [
      `Port ${port}`,
      'Listen 127.0.0.1',
      'Timeout 30',
      `LogFile "${log}"`,
      'LogLevel Connect',
      'MaxClients 20',
      'Allow 127.0.0.1',
      '',
    ].join('\n'),
  );
  const child = spawn('/usr/bin/tinyproxy', ['-d', '-c', config], { stdio: 'ignore' });
  await accepting(port, Date.now() + 10_000, child);
  return {
    url: `http://127.0.0.1:${port}`,
    requests: () => {
      let text = '';
      try {
        text = readFileSync(log, 'utf8');
      } catch {
        return [];
      }
      return [...text.matchAll(/Request \(file descriptor \d+\): (.+)$/gm)].map((m) => m[1]!);
    },
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
