import { spawn } from 'node:child_process';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ActionError, messageOf } from '../../lib/errors.ts';
import { layoutArchive, repoTag } from './layout.ts';
import type { PulledImage } from './pull.ts';
import type { BlobStore } from './store.ts';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(docker: string, args: string[], stdin?: Readable): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(docker, args, { stdio: [stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.stderr?.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    let streamError: unknown;
    if (stdin && child.stdin) {
      // docker may exit early (no daemon) and close stdin: its exit code says why, not EPIPE.
      pipeline(stdin, child.stdin).catch((err) => {
        streamError = err;
      });
    }
    child.on('error', (err: NodeJS.ErrnoException) => {
      reject(
        err.code === 'ENOENT'
          ? new ActionError(
              `output: docker: '${docker}' is not installed on this runner (use output: oci)`,
            )
          : err,
      );
    });
    child.on('close', (code) => {
      if (code === 0 && streamError) {
        reject(new ActionError(`docker load: sending the image failed: ${messageOf(streamError)}`));
      } else {
        resolve({ code, stdout, stderr });
      }
    });
  });
}

function lastLine(text: string): string {
  return text.trim().split('\n').pop() ?? '';
}

/**
 * Streams the images into `docker load`, then checks that what Docker holds under each name is
 * the image we verified: its id is the config digest (or, with Docker's containerd image store,
 * the manifest digest).
 */
export async function loadIntoDocker(
  images: readonly PulledImage[],
  store: BlobStore,
  docker = 'docker',
): Promise<void> {
  const load = await run(docker, ['load'], Readable.from(layoutArchive(images, store)));
  if (load.code !== 0) {
    throw new ActionError(
      `docker load failed (exit ${load.code}): ${lastLine(load.stderr || load.stdout)}`,
    );
  }
  const loadedIds = new Set(
    [...load.stdout.matchAll(/^Loaded image ID: (\S+)$/gm)].map((m) => m[1]!),
  );
  for (const image of images) {
    const accepted = [image.config.digest, image.manifest.digest];
    const tag = repoTag(image.ref);
    let ids: string[];
    if (tag) {
      const inspect = await run(docker, ['image', 'inspect', '--format', '{{.Id}}', tag]);
      if (inspect.code !== 0) {
        throw new ActionError(
          `${image.image}: docker image inspect ${tag} failed: ${lastLine(inspect.stderr)}`,
        );
      }
      ids = [inspect.stdout.trim()];
    } else {
      ids = [...loadedIds];
    }
    if (!ids.some((id) => accepted.includes(id))) {
      throw new ActionError(
        `${image.image}: docker load produced image ${ids.join(', ') || '(none)'}, expected ${image.config.digest}`,
      );
    }
  }
}
