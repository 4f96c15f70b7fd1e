import { isObject } from './documents.ts';

/** What DescribeTaskDefinition returns and RegisterTaskDefinition refuses. */
export const READ_ONLY_FIELDS = [
  'taskDefinitionArn',
  'revision',
  'status',
  'requiresAttributes',
  'compatibilities',
  'registeredAt',
  'registeredBy',
  'deregisteredAt',
  'deleteRequestedAt',
] as const;

export { isObject };

/** A copy of a task definition that RegisterTaskDefinition accepts again. */
export function stripReadOnly<T extends Record<string, unknown>>(definition: T): T {
  const copy = { ...definition };
  for (const field of READ_ONLY_FIELDS) delete copy[field];
  return copy;
}
