import { linkSync, rmSync } from 'node:fs';
import { copyFile } from 'node:fs/promises';

/**
 * Puts `src`'s content at `dest`, replacing what is there: a hard link when both are on one
 * filesystem (instant, no extra space; blobs are never written in place, so sharing is safe),
 * a copy otherwise. The link is a synchronous call, quicker than a thread-pool round trip.
 */
export async function linkOrCopy(src: string, dest: string): Promise<void> {
  rmSync(dest, { force: true });
  try {
    linkSync(src, dest);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EXDEV' && code !== 'EPERM' && code !== 'EMLINK' && code !== 'ENOTSUP') throw err;
    await copyFile(src, dest);
  }
}
