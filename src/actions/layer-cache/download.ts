import { createHash } from 'node:crypto';
import { type FileHandle, open } from 'node:fs/promises';
import { messageOf } from '../../lib/errors.ts';
import type { Log } from '../../lib/log.ts';
import type { HttpResponse } from './http.ts';

/** The bytes received are not the blob that was asked for. */
export class DigestMismatchError extends Error {
  override readonly name = 'DigestMismatchError';
}

/** The server answered 416 to a Range request: the blob is asked for again from byte 0. */
export class RangeRefusedError extends Error {
  override readonly name = 'RangeRefusedError';
}

/** A blob download that ran out of resumes, or could not write what it received. */
export class DownloadFailedError extends Error {
  override readonly name = 'DownloadFailedError';
}

/** An answer to a GET of a blob: its body starts at byte `offset` of the blob. */
export interface PartResponse {
  res: HttpResponse;
  offset: number;
}

export interface BlobDownloadOptions {
  digest: string;
  size: number;
  dest: string;
  /** GETs the blob from byte `start` to its end; rejects for an answer that carries none of it. */
  fetch: (start: number) => Promise<PartResponse>;
  /** Errors that another request cannot fix (a digest mismatch, a refusal). */
  isFatal: (err: unknown) => boolean;
  /** Resumes allowed per blob after broken connections that made progress. */
  maxResumes: number;
  sleep: (ms: number) => Promise<void>;
  log?: Log;
}

export interface BlobDownloadResult {
  /** Bytes received over the network, restarts and resumes included. */
  transferred: number;
  resumes: number;
}

const BATCH_BYTES = 1 << 20;

/**
 * Downloads one blob into a file, hashing every byte in order as it arrives. A broken connection
 * resumes where it stopped with `Range`; a server that ignores the Range (or refuses it) is read
 * from the start again and the bytes already kept are skipped.
 */
export class BlobDownload {
  private readonly options: BlobDownloadOptions;
  private readonly size: number;
  private readonly hash = createHash('sha256');
  private file: FileHandle | undefined;
  /** The next byte to receive; everything before it is hashed and in the file. */
  private received = 0;
  /** Ask from byte 0 and skip to `received`: the server refused a Range. */
  private fromZero = false;
  private transferred = 0;
  private resumes = 0;

  constructor(options: BlobDownloadOptions) {
    this.options = options;
    this.size = options.size;
  }

  async run(): Promise<BlobDownloadResult> {
    const { maxResumes, isFatal, digest } = this.options;
    // The first request goes out while the file is opened.
    let first: Promise<PartResponse> | undefined = this.options.fetch(0);
    first.catch(() => {}); // awaited in the loop, or dropped below when the open fails
    try {
      this.file = await open(this.options.dest, 'w');
    } catch (err) {
      first.then(
        (part) => part.res.abandon(),
        () => {},
      );
      throw new DownloadFailedError(`opening ${this.options.dest}: ${messageOf(err)}`);
    }
    let stalls = 0;
    try {
      while (this.received < this.size) {
        const before = this.received;
        try {
          const asking = first ?? this.options.fetch(this.fromZero ? 0 : this.received);
          first = undefined;
          const part = await asking;
          if (part.offset > this.received) {
            part.res.abandon();
            throw new Error(
              `the registry answered from byte ${part.offset}, not ${this.received} as asked`,
            );
          }
          await this.consume(part.res, this.received - part.offset);
          if (this.received < this.size) {
            throw new Error(`the connection closed after ${this.received} of ${this.size} bytes`);
          }
        } catch (err) {
          if (isFatal(err) || err instanceof DownloadFailedError) throw err;
          if (err instanceof RangeRefusedError) this.fromZero = true;
          if (this.received > before) {
            this.resumes++;
            stalls = 0;
          } else {
            stalls++;
          }
          const why = messageOf(err);
          if (this.resumes > maxResumes || stalls > 3) {
            throw new DownloadFailedError(`download failed after ${this.resumes} resumes: ${why}`);
          }
          this.options.log?.info(`${digest}: ${why}; resuming at byte ${this.received}`);
          if (stalls > 0) await this.options.sleep(250 * 2 ** stalls);
        }
      }
    } finally {
      await this.file.close();
    }
    const actual = `sha256:${this.hash.digest('hex')}`;
    if (actual !== digest) {
      throw new DigestMismatchError(`the registry sent content that hashes to ${actual}`);
    }
    return { transferred: this.transferred, resumes: this.resumes };
  }

  /**
   * Reads one response: `skip` bytes dropped first (a server that ignored Range). Bytes are hashed
   * as they arrive and copied into 1 MiB batches written at their offset, one write in flight,
   * reading paused while a full batch waits behind it. What was received is in the file when
   * this settles, so a resume starts after it; a failed write fails the download, since the hash
   * already holds bytes the file lacks.
   */
  private consume(res: HttpResponse, skip: number): Promise<void> {
    const file = this.file as FileHandle;
    const spare: Buffer[] = [];
    const full: Array<{ buffer: Buffer; length: number; at: number }> = [];
    let current: Buffer = Buffer.allocUnsafe(BATCH_BYTES);
    let fill = 0;
    let position = this.received;
    let writing = false;
    let paused = false;
    let ended = false;
    let broken = false;
    let failure: unknown;
    return new Promise<void>((resolve, reject) => {
      const settle = () => {
        if (!ended || writing || full.length > 0) return;
        if (failure === undefined) resolve();
        else reject(failure);
      };
      const seal = () => {
        if (fill === 0) return;
        full.push({ buffer: current, length: fill, at: position });
        position += fill;
        current = spare.pop() ?? Buffer.allocUnsafe(BATCH_BYTES);
        fill = 0;
      };
      const finish = (err?: unknown) => {
        if (err !== undefined) failure ??= err;
        if (!ended) {
          ended = true;
          if (!res.complete) res.abandon();
          if (!broken) seal();
        }
        pump();
      };
      const pump = () => {
        const batch = writing || broken ? undefined : full.shift();
        if (!batch) {
          settle();
          return;
        }
        writing = true;
        const failed = (err: unknown) => {
          writing = false;
          broken = true;
          full.length = 0;
          failure = new DownloadFailedError(`writing ${this.options.dest}: ${messageOf(err)}`);
          finish();
        };
        file.write(batch.buffer, 0, batch.length, batch.at).then(({ bytesWritten }) => {
          if (bytesWritten !== batch.length) {
            failed(new Error(`wrote ${bytesWritten} of ${batch.length} bytes`));
            return;
          }
          writing = false;
          spare.push(batch.buffer);
          if (paused && full.length === 0 && !ended) {
            paused = false;
            res.resume();
          }
          pump();
        }, failed);
      };
      res.read({
        data: (chunk) => {
          if (ended) return false;
          this.transferred += chunk.length;
          let bytes = chunk;
          if (skip > 0) {
            const dropped = Math.min(skip, bytes.length);
            skip -= dropped;
            bytes = bytes.subarray(dropped);
          }
          if (bytes.length > this.size - this.received) {
            finish(
              new DigestMismatchError(
                `received more than the ${this.size} bytes the manifest lists`,
              ),
            );
            return false;
          }
          this.hash.update(bytes);
          this.received += bytes.length;
          while (bytes.length > 0) {
            const n = Math.min(BATCH_BYTES - fill, bytes.length);
            bytes.copy(current, fill, 0, n);
            fill += n;
            bytes = bytes.subarray(n);
            if (fill === BATCH_BYTES) seal();
          }
          pump();
          if (full.length > 0) paused = true;
          return !paused;
        },
        end: () => finish(),
        error: (err) => {
          if (!ended) finish(err);
        },
      });
    });
  }
}
