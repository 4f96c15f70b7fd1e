import { atOrAbove, compareFindings, type Finding, hasFix, type Level } from './findings.ts';
import { code, plain } from './markdown.ts';
import { findingKey, type ImageInfo, imageName } from './tickets.ts';

/** What counts toward `fail-on`, from the inputs that narrow it. */
export interface GateRule {
  failOn: Level | 'none';
  /** `fail-on-fixable`: only findings with a known fix. */
  fixable: boolean;
  /** `fail-on-exploitable`: only findings with a known exploit. */
  exploitable: boolean;
  /** `fail-on-scope`: every finding, or only those the base image does not have. */
  scope: 'all' | 'new';
}

export interface GateInput {
  rule: GateRule;
  repository: string;
  /** Findings neither ignored nor suppressed or closed in Amazon Inspector. */
  findings: readonly Finding[];
  /** The base image the PR comment compares with, when one was found. */
  base?: { image: ImageInfo; findings: readonly Finding[] };
}

/** One narrowing step of the gate and how many findings were left after it. */
export interface GateStep {
  /** What the findings left have, e.g. `at or above HIGH`, `with a fix`. */
  label: string;
  /** The input that applied it, as a user writes it. */
  input: string;
  left: number;
}

export interface GateResult {
  rule: GateRule;
  /** The findings that fail the step, most severe first. */
  failing: Finding[];
  steps: GateStep[];
  /** Counted because basic scanning cannot say whether a fix or an exploit exists. */
  unknownFix: number;
  unknownExploit: number;
  /** Set when `fail-on-scope: new` compared with a base image. */
  base?: ImageInfo;
  /** `fail-on-scope: new` without a base image to compare with: every finding counted. */
  noBase: boolean;
}

/**
 * Which findings fail the step. Pure: each rule narrows what is left and is recorded, so the
 * summary can say which rule let what through. A fact a scanner does not report (basic scanning
 * says nothing of fixes or exploits) never lets a finding pass: it is counted.
 */
export function judge(input: GateInput): GateResult {
  const { rule } = input;
  const result: GateResult = {
    rule,
    failing: [],
    steps: [],
    unknownFix: 0,
    unknownExploit: 0,
    noBase: false,
  };
  if (rule.failOn === 'none') return result;
  const level = rule.failOn;
  let left = input.findings.filter((f) => atOrAbove(f.severity, level));
  result.steps.push({
    label: `at or above ${level.toUpperCase()}`,
    input: `fail-on: ${level}`,
    left: left.length,
  });
  if (rule.fixable) {
    result.unknownFix = left.filter((f) => hasFix(f) === undefined).length;
    left = left.filter((f) => hasFix(f) !== false);
    result.steps.push({ label: 'with a fix', input: 'fail-on-fixable: true', left: left.length });
  }
  if (rule.exploitable) {
    result.unknownExploit = left.filter((f) => f.exploitAvailable === undefined).length;
    left = left.filter((f) => f.exploitAvailable !== false);
    result.steps.push({
      label: 'with a known exploit',
      input: 'fail-on-exploitable: true',
      left: left.length,
    });
  }
  if (rule.scope === 'new') {
    if (input.base) {
      // The PR comment's notion of new: a vulnerability in a package the base image lacks.
      const inBase = new Set(input.base.findings.map((f) => findingKey(input.repository, f)));
      left = left.filter((f) => !inBase.has(findingKey(input.repository, f)));
      result.base = input.base.image;
      result.steps.push({
        label: `not in the base image ${code(imageName(input.base.image))}`,
        input: 'fail-on-scope: new',
        left: left.length,
      });
    } else {
      result.noBase = true;
    }
  }
  result.failing = left.sort(compareFindings);
  return result;
}

/** The rule in a user's words: `fail-on: high, fail-on-fixable: true`. */
export function ruleInputs(rule: GateRule): string {
  return [
    `fail-on: ${rule.failOn}`,
    ...(rule.fixable ? ['fail-on-fixable: true'] : []),
    ...(rule.exploitable ? ['fail-on-exploitable: true'] : []),
    ...(rule.scope === 'new' ? ['fail-on-scope: new'] : []),
  ].join(', ');
}

/** What the failing findings have in common: `at or above HIGH, with a fix`, in Markdown. */
function failingKind(gate: GateResult): string {
  return gate.steps.map((s) => s.label).join(', ');
}

/** The one-line failure message: how many, by which rule, and the first few ids. */
export function failureMessage(gate: GateResult, image: ImageInfo): string {
  const { failing } = gate;
  // Finding ids and the image name come from outside: plain text, capped, one line.
  const ids = [...new Set(failing.map((f) => plain(f.id, 80)))];
  const shown = ids.slice(0, 5).join(', ');
  const more = ids.length > 5 ? ` and ${ids.length - 5} more` : '';
  // An annotation is plain text: the base image's name without its code span.
  const kind = failingKind(gate).replace(/`([^`]*)`/g, '$1');
  return `${failing.length} finding${failing.length === 1 ? '' : 's'} ${kind} in ${plain(imageName(image), 300)} (${ruleInputs(gate.rule)}): ${shown}${more}. Fix them or add them to the ignore file with a reason and an expiry date.`;
}

/** The gate's lines for the job summary: the verdict, then how each rule narrowed the findings. */
export function gateLines(
  gate: GateResult,
  never: { ignored: number; suppressed: number },
): string[] {
  if (gate.rule.failOn === 'none') return ['The step does not fail on findings (`fail-on: none`).'];
  const out: string[] = [];
  const n = gate.failing.length;
  out.push(
    n === 0
      ? `✅ **The gate passes**: no finding ${failingKind(gate)}.`
      : `❌ **${n} finding${n === 1 ? '' : 's'} ${failingKind(gate)}** fail${n === 1 ? 's' : ''} the gate.`,
    '',
    `Rule: \`${ruleInputs(gate.rule)}\` — ${gate.steps.map((s) => `${s.left} ${s.label} (\`${s.input}\`)`).join(' → ')}.`,
  );
  const notes: string[] = [];
  if (gate.unknownFix > 0)
    notes.push(
      `${gate.unknownFix} counted by \`fail-on-fixable\` because basic scanning does not report fixed versions`,
    );
  if (gate.unknownExploit > 0)
    notes.push(
      `${gate.unknownExploit} counted by \`fail-on-exploitable\` because their scanner does not report exploits`,
    );
  if (gate.noBase)
    notes.push(
      '`fail-on-scope: new` found no scanned base image to compare with, so every finding counted',
    );
  if (never.ignored > 0 || never.suppressed > 0)
    notes.push(
      `never counted: ${never.ignored} ignored by the ignore file, ${never.suppressed} suppressed or closed in Amazon Inspector`,
    );
  if (notes.length > 0) out.push('', ...notes.map((note) => `- ${note}`));
  return out;
}
