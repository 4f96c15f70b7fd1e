import { errorName } from '../../lib/errors.ts';

const TRANSIENT_NAMES = new Set([
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
  'ServerException',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'InternalFailure',
  'InternalServerError',
]);

const TRANSIENT_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
]);

/**
 * A failure that says nothing about the task, only that this call did not get through: a 5xx,
 * a request timeout, a dropped connection. Waiting goes on through these until its deadline.
 */
export function isTransient(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const { $metadata, code } = err as { $metadata?: { httpStatusCode?: number }; code?: unknown };
  const status = $metadata?.httpStatusCode;
  if (status !== undefined && status >= 500) return true;
  const name = errorName(err);
  if (name !== undefined && TRANSIENT_NAMES.has(name)) return true;
  return typeof code === 'string' && TRANSIENT_CODES.has(code);
}
