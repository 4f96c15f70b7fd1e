// The harness runs an action's `post:` as GitHub does: when action.yml gives no `post-if`, the
// post step runs after a failed main step too (GitHub's default is `always()`).
import { expect, test } from 'vitest';
import { readActionMetadata, runAction } from '../harness/index.ts';

test('layer-cache declares a post step without post-if, and it runs after main failed', async () => {
  expect(readActionMetadata('layer-cache').runs).toMatchObject({ post: expect.any(String) });
  expect(readActionMetadata('layer-cache').runs['post-if']).toBeUndefined();
  const result = await runAction('layer-cache', { inputs: { images: '' } });
  expect(result.exitCode).toBe(1);
  expect(result.post).toBeDefined();
  expect(result.post!.exitCode).toBe(0);
});
