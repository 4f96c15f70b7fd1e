import { describe, expect, test } from 'vitest';
import type { RunTaskResult } from '../../../src/actions/run-task/run.ts';
import { renderSummary } from '../../../src/actions/run-task/summary.ts';
import { codeBlock } from '../../../src/lib/markdown.ts';

const result: RunTaskResult = {
  status: 'failed',
  taskDefinitionArn: 'arn:aws:ecs:us-east-1:123456789012:task-definition/web:8',
  registered: true,
  cluster: 'prod',
  container: 'web',
  command: ['npm', 'run', 'migrate'],
  tasks: [
    {
      arn: 'arn:aws:ecs:us-east-1:123456789012:task/prod/abc',
      id: 'abc',
      lastStatus: 'STOPPED',
      exitCode: 3,
      stoppedReason: 'Essential container in task exited',
      logUrl: 'https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1#logsV2:x',
    },
  ],
  exitCode: 3,
  stoppedReason: 'Essential container in task exited',
  durationSeconds: 95,
  lastLines: ['Applied 1', 'ERROR: relation "orders" does not exist'],
  message: "run-task web:8: task abc container 'web' exited with code 3: …; last log lines: …",
  outcome:
    "run-task web:8: task abc container 'web' exited with code 3: Essential container in task exited",
  notes: [],
  settled: true,
};

/** The fenced blocks of a Markdown text, as CommonMark closes them: a fence of the same character, at least as long. */
function fencedBlocks(markdown: string): string[] {
  const blocks: string[] = [];
  let open: string | undefined;
  let body: string[] = [];
  for (const line of markdown.split('\n')) {
    const fence = /^ {0,3}(`{3,}|~{3,})/.exec(line)?.[1];
    if (open === undefined) {
      if (fence !== undefined) {
        open = fence;
        body = [];
      }
    } else if (
      fence !== undefined &&
      fence[0] === open[0] &&
      fence.length >= open.length &&
      line.trim() === fence
    ) {
      blocks.push(body.join('\n'));
      open = undefined;
    } else body.push(line);
  }
  return blocks;
}

describe('the run-task job summary', () => {
  test('names the task, its exit code, reason, duration, log link and last lines', () => {
    const md = renderSummary(result);
    expect(md).toContain('### ❌ Task of `web:8` failed (cluster `prod`)');
    expect(md).toContain('| Task definition | `web:8` (registered by this step) |');
    expect(md).toContain('| Container | `web` running `npm run migrate` |');
    expect(md).toContain('| Exit code | 3 |');
    expect(md).toContain('| Duration | 1m35s |');
    expect(md).toContain('[CloudWatch Logs](https://us-east-1.console.aws.amazon.com/');
    expect(md).toContain(`> **Failure:** ${result.outcome}`);
    expect(md).toContain('#### Last 2 log lines');
    expect(fencedBlocks(md)).toEqual(['Applied 1\nERROR: relation "orders" does not exist']);
  });

  test('task output cannot close its code block, nor render as Markdown, HTML or mentions', () => {
    const hostile = [
      '```',
      '````',
      '</code></pre><img src=x onerror=alert(1)>',
      '# heading @octocat',
      '   ```` still inside',
      '\u001b[31mred\u001b[0m and a NUL\u0000 here',
    ];
    const md = renderSummary({ ...result, lastLines: hostile });
    const blocks = fencedBlocks(md);
    expect(blocks).toHaveLength(1);
    expect(blocks[0]).toBe([...hostile.slice(0, 5), 'red and a NUL here'].join('\n'));
    // Nothing of the output is outside the block.
    const outside = md.replace(codeBlock(hostile), '');
    expect(outside).not.toContain('octocat');
    expect(outside).not.toContain('<img');
  });

  test('a long line is cut in the summary; the outcome never carries task output', () => {
    const md = renderSummary({ ...result, lastLines: ['x'.repeat(2000)] });
    expect(md).toContain(`${'x'.repeat(500)}…`);
    expect(md).not.toContain('x'.repeat(501));
  });

  test('a success has no failure line; notes are listed', () => {
    const md = renderSummary({
      ...result,
      status: 'succeeded',
      exitCode: 0,
      registered: false,
      notes: ["container 'web' has no log configuration: its output is not streamed here"],
      lastLines: [],
    });
    expect(md).toContain('### ✅ Task of `web:8` exited 0');
    expect(md).not.toContain('Failure');
    expect(md).not.toContain('Last');
    expect(md).toContain("- container 'web' has no log configuration");
  });
});
