// AWS STS simulator, in STS's own protocol (query: a form-encoded POST with `Action` and
// `Version`, answered in XML): GetCallerIdentity, and AssumeRoleWithWebIdentity as GitHub's
// OIDC token exchange reaches it. The roles of a scenario carry trust policies (usually the
// documented ones from docs/iam), and the exchange is allowed only when the token's claims meet
// one of their statements, so a workflow job that asks for the wrong role is refused here as
// it would be by AWS. Tokens are read, not verified: this is a simulator, and the tests forge
// them as GitHub would issue them.

import { createHash, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AccountContext } from '../types.ts';

const NAMESPACE = 'https://sts.amazonaws.com/doc/2011-06-15/';
export const GITHUB_OIDC_ISSUER = 'https://token.actions.githubusercontent.com';
const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

export interface StsRoleScenario {
  /** Role name (`web-deploy`) or ARN. */
  name: string;
  /** The trust policy document, or the path of a JSON file (relative to the repository root). */
  trustPolicy: TrustPolicy | string;
  /** Text replaced in the trust policy file, e.g. `{ OWNER: acme, REPO: web }`. */
  substitute?: Record<string, string>;
  /** Longest session, in seconds; AWS's default is one hour. */
  maxSessionDuration?: number;
}

export interface StsScenario {
  roles?: StsRoleScenario[];
  /** Client IDs (audiences) the account's GitHub OIDC provider accepts. Default sts.amazonaws.com. */
  audiences?: string[];
}

type ConditionBlock = Record<string, Record<string, string | string[]>>;

interface TrustStatement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Principal?: { Federated?: string | string[] };
  Action?: string | string[];
  Condition?: ConditionBlock;
}

export interface TrustPolicy {
  Version?: string;
  Statement: TrustStatement[];
}

interface Role {
  arn: string;
  name: string;
  id: string;
  trust: TrustPolicy;
  maxSessionDuration: number;
}

interface Session {
  secret: string;
  role: Role;
  sessionName: string;
  expiresAt: number;
}

/** One STS request: the form's parameters and the access key that signed it, if any. */
export interface StsRequest {
  params: URLSearchParams;
  accessKeyId?: string;
}

export interface StsResponse {
  status: number;
  body: string;
  /** The error code, for the call record. */
  error?: string;
}

export interface StsModule {
  readonly name: 'sts';
  handle(request: StsRequest): StsResponse;
}

class StsError extends Error {
  readonly code: string;
  readonly status: number;
  constructor(code: string, message: string, status = 400) {
    super(message);
    this.code = code;
    this.status = status;
  }
}

function escapeXml(text: string): string {
  return text.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

function element(name: string, content: string): string {
  return `<${name}>${content}</${name}>`;
}

function answer(action: string, result: string): string {
  return [
    `<${action}Response xmlns="${NAMESPACE}">`,
    element(`${action}Result`, result),
    element('ResponseMetadata', element('RequestId', randomUUID())),
    `</${action}Response>`,
  ].join('');
}

function errorBody(error: StsError): string {
  const type = error.status >= 500 ? 'Receiver' : 'Sender';
  return [
    `<ErrorResponse xmlns="${NAMESPACE}">`,
    element(
      'Error',
      element('Type', type) +
        element('Code', error.code) +
        element('Message', escapeXml(error.message)),
    ),
    element('RequestId', randomUUID()),
    '</ErrorResponse>',
  ].join('');
}

/** IAM's `StringLike`: `*` any run of characters, `?` one character. */
function like(pattern: string, value: string): boolean {
  const source = pattern
    .split('')
    .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${source}$`, 's').test(value);
}

const OPERATORS: Record<string, (expected: string, actual: string) => boolean> = {
  StringEquals: (e, a) => e === a,
  StringLike: like,
  StringNotEquals: (e, a) => e !== a,
  StringNotLike: (e, a) => !like(e, a),
};

/** Every operator and key must hold; within one key, any listed value will do (as in IAM). */
function conditionsHold(
  block: ConditionBlock | undefined,
  claims: Record<string, string>,
): boolean {
  for (const [operator, keys] of Object.entries(block ?? {})) {
    const test = OPERATORS[operator];
    if (!test) throw new Error(`trust policy: condition operator ${operator} is not simulated`);
    const negated = operator.includes('Not');
    for (const [key, expected] of Object.entries(keys)) {
      const actual = claims[key];
      if (actual === undefined) return false;
      const values = Array.isArray(expected) ? expected : [expected];
      const hold = negated
        ? values.every((v) => test(v, actual))
        : values.some((v) => test(v, actual));
      if (!hold) return false;
    }
  }
  return true;
}

function listOf(value: string | string[] | undefined): string[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

/** Whether a trust policy lets this federated principal's token assume the role. */
export function trustAllows(
  trust: TrustPolicy,
  provider: string,
  claims: Record<string, string>,
): boolean {
  const applies = (s: TrustStatement) =>
    listOf(s.Principal?.Federated).includes(provider) &&
    listOf(s.Action).some((a) => a === 'sts:AssumeRoleWithWebIdentity' || a === 'sts:*') &&
    conditionsHold(s.Condition, claims);
  const statements = trust.Statement.filter(applies);
  return (
    statements.some((s) => s.Effect === 'Allow') && !statements.some((s) => s.Effect === 'Deny')
  );
}

function decodeJwt(token: string): Record<string, unknown> {
  const parts = token.split('.');
  if (parts.length !== 3) {
    throw new StsError('InvalidIdentityToken', 'The web identity token is not a JWT.');
  }
  try {
    return JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as Record<
      string,
      unknown
    >;
  } catch {
    throw new StsError('InvalidIdentityToken', 'The web identity token could not be decoded.');
  }
}

/** An unsigned JWT with these claims, as GitHub's would read (the sandbox does not verify). */
export function forgeGitHubToken(claims: Record<string, string | number>): string {
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${encode({ alg: 'none', typ: 'JWT' })}.${encode({ iss: GITHUB_OIDC_ISSUER, ...claims })}.`;
}

function requireParam(params: URLSearchParams, name: string): string {
  const value = params.get(name);
  if (value === null || value === '') {
    throw new StsError('MissingParameter', `The request must contain the parameter ${name}`);
  }
  return value;
}

export function createSts(
  scenario: StsScenario | undefined,
  ctx: AccountContext & { userAccessKeyId: string },
): StsModule {
  const { accountId, clock, userAccessKeyId } = ctx;
  const audiences = scenario?.audiences ?? ['sts.amazonaws.com'];
  const provider = `arn:aws:iam::${accountId}:oidc-provider/token.actions.githubusercontent.com`;
  const stableId = (prefix: string, seed: string) =>
    prefix +
    createHash('sha256')
      .update(seed)
      .digest('hex')
      .slice(0, 17)
      .toUpperCase()
      .replace(/[^A-Z0-9]/g, 'X');

  const roles = new Map<string, Role>();
  for (const spec of scenario?.roles ?? []) {
    const arn = spec.name.startsWith('arn:')
      ? spec.name
      : `arn:aws:iam::${accountId}:role/${spec.name}`;
    const name = arn.slice(arn.lastIndexOf('/') + 1);
    let trust: TrustPolicy;
    if (typeof spec.trustPolicy === 'string') {
      let text = readFileSync(path.resolve(REPO_ROOT, spec.trustPolicy), 'utf8');
      for (const [from, to] of Object.entries({ ACCOUNT: accountId, ...spec.substitute })) {
        text = text.replaceAll(from, to);
      }
      trust = JSON.parse(text) as TrustPolicy;
    } else trust = spec.trustPolicy;
    roles.set(arn, {
      arn,
      name,
      id: stableId('AROA', arn),
      trust,
      maxSessionDuration: spec.maxSessionDuration ?? 3600,
    });
  }
  const sessions = new Map<string, Session>();

  function assumeRoleWithWebIdentity(params: URLSearchParams): string {
    const roleArn = requireParam(params, 'RoleArn');
    const sessionName = requireParam(params, 'RoleSessionName');
    const token = requireParam(params, 'WebIdentityToken');
    if (!/^arn:aws:iam::\d{12}:role\/[\w+=,.@/-]+$/.test(roleArn)) {
      throw new StsError('ValidationError', `${roleArn} is invalid`);
    }
    if (!/^[\w+=,.@-]{2,64}$/.test(sessionName)) {
      throw new StsError(
        'ValidationError',
        "1 validation error detected: Value at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*",
      );
    }
    const claims = decodeJwt(token);
    if (claims.iss !== GITHUB_OIDC_ISSUER) {
      throw new StsError(
        'InvalidIdentityToken',
        `No OpenIDConnect provider found in your account for ${String(claims.iss)}`,
      );
    }
    const aud = String(claims.aud ?? '');
    if (!audiences.includes(aud))
      throw new StsError('InvalidIdentityToken', 'Incorrect token audience');
    const now = clock.now();
    if (typeof claims.exp === 'number' && claims.exp * 1000 <= now) {
      throw new StsError(
        'ExpiredTokenException',
        `Token expired: current date/time ${Math.floor(now / 1000)} must be before the expiration date/time ${claims.exp}`,
      );
    }
    const role = roles.get(roleArn);
    const conditionKeys = {
      'token.actions.githubusercontent.com:sub': String(claims.sub ?? ''),
      'token.actions.githubusercontent.com:aud': aud,
    };
    if (!role || !trustAllows(role.trust, provider, conditionKeys)) {
      throw new StsError(
        'AccessDenied',
        'Not authorized to perform sts:AssumeRoleWithWebIdentity',
        403,
      );
    }
    const duration = Number(params.get('DurationSeconds') ?? 3600);
    if (!Number.isInteger(duration) || duration < 900 || duration > role.maxSessionDuration) {
      throw new StsError(
        'ValidationError',
        `The requested DurationSeconds exceeds the MaxSessionDuration set for this role.`,
      );
    }
    const accessKeyId = stableId('ASIA', `${roleArn}|${sessionName}|${sessions.size}`).slice(0, 20);
    const secret = randomUUID().replaceAll('-', '');
    const expiresAt = Math.floor(now / 1000) * 1000 + duration * 1000;
    sessions.set(accessKeyId, { secret, role, sessionName, expiresAt });
    const assumed = `arn:aws:sts::${accountId}:assumed-role/${role.name}/${sessionName}`;
    return answer(
      'AssumeRoleWithWebIdentity',
      element('SubjectFromWebIdentityToken', escapeXml(String(claims.sub ?? ''))) +
        element('Audience', escapeXml(aud)) +
        element(
          'AssumedRoleUser',
          element('Arn', escapeXml(assumed)) +
            element('AssumedRoleId', escapeXml(`${role.id}:${sessionName}`)),
        ) +
        element(
          'Credentials',
          element('AccessKeyId', accessKeyId) +
            element('SecretAccessKey', secret) +
            element(
              'SessionToken',
              Buffer.from(`sandbox-session:${accessKeyId}`).toString('base64'),
            ) +
            element('Expiration', new Date(expiresAt).toISOString().replace('.000Z', 'Z')),
        ) +
        element('Provider', escapeXml(GITHUB_OIDC_ISSUER.replace(/^https:\/\//, ''))),
    );
  }

  function getCallerIdentity(accessKeyId: string | undefined): string {
    if (accessKeyId === undefined) {
      throw new StsError(
        'MissingAuthenticationToken',
        'Request is missing Authentication Token',
        403,
      );
    }
    const session = sessions.get(accessKeyId);
    if (session) {
      if (session.expiresAt <= clock.now()) {
        throw new StsError(
          'ExpiredToken',
          'The security token included in the request is expired',
          403,
        );
      }
      return answer(
        'GetCallerIdentity',
        element(
          'Arn',
          escapeXml(
            `arn:aws:sts::${accountId}:assumed-role/${session.role.name}/${session.sessionName}`,
          ),
        ) +
          element('UserId', escapeXml(`${session.role.id}:${session.sessionName}`)) +
          element('Account', accountId),
      );
    }
    if (accessKeyId !== userAccessKeyId) {
      throw new StsError(
        'InvalidClientTokenId',
        'The security token included in the request is invalid.',
        403,
      );
    }
    return answer(
      'GetCallerIdentity',
      element('Arn', `arn:aws:iam::${accountId}:user/sandbox`) +
        element('UserId', stableId('AIDA', accessKeyId)) +
        element('Account', accountId),
    );
  }

  return {
    name: 'sts',
    handle({ params, accessKeyId }) {
      const action = params.get('Action') ?? '';
      try {
        if (params.get('Version') !== '2011-06-15') {
          throw new StsError(
            'InvalidAction',
            `Could not find operation ${action} for version ${params.get('Version') ?? 'NO_VERSION_SPECIFIED'}`,
          );
        }
        if (action === 'GetCallerIdentity')
          return { status: 200, body: getCallerIdentity(accessKeyId) };
        if (action === 'AssumeRoleWithWebIdentity') {
          return { status: 200, body: assumeRoleWithWebIdentity(params) };
        }
        throw new StsError(
          'InvalidAction',
          `Could not find operation ${action} for version 2011-06-15`,
        );
      } catch (e) {
        if (!(e instanceof StsError)) throw e;
        return { status: e.status, body: errorBody(e), error: e.code };
      }
    },
  };
}
