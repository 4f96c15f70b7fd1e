import { isObject } from './document.ts';

/**
 * Lists whose items have an identity: a merge updates the item with the same key and appends
 * the others, so a merge document can touch one container without repeating the rest.
 */
const KEYED_LISTS: Readonly<Record<string, string>> = {
  containerDefinitions: 'name',
  volumes: 'name',
  environment: 'name',
  secrets: 'name',
  secretOptions: 'name',
  tags: 'key',
};

/**
 * Deep-merges `patch` into `target` (neither is modified). Objects merge key by key; a `null`
 * removes the key; keyed lists (containers by name, variables by name, tags by key) merge item
 * by item; any other list is replaced, since list order means something there (command, ports).
 */
export function deepMerge(
  target: Record<string, unknown>,
  patch: Record<string, unknown>,
): Record<string, unknown> {
  const result: Record<string, unknown> = { ...target };
  for (const [key, value] of Object.entries(patch)) {
    const current = result[key];
    if (value === null) delete result[key];
    else if (isObject(value) && isObject(current)) result[key] = deepMerge(current, value);
    else if (Array.isArray(value) && Array.isArray(current) && key in KEYED_LISTS) {
      result[key] = mergeKeyedList(current, value, KEYED_LISTS[key]!);
    } else result[key] = structuredClone(value);
  }
  return result;
}

function mergeKeyedList(current: unknown[], patch: unknown[], identity: string): unknown[] {
  const result = [...current];
  for (const item of patch) {
    const id = isObject(item) ? item[identity] : undefined;
    const index =
      id === undefined ? -1 : result.findIndex((old) => isObject(old) && old[identity] === id);
    const existing = result[index];
    if (index >= 0 && isObject(existing) && isObject(item)) {
      result[index] = deepMerge(existing, item);
    } else result.push(structuredClone(item));
  }
  return result;
}
