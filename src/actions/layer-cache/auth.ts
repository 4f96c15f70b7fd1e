import { discard, type HttpResponse, readBody } from './http.ts';

/** A token response is a few kilobytes of JSON; anything past this is not one. */
const TOKEN_RESPONSE_LIMIT = 1024 * 1024;

export interface Credentials {
  username: string;
  password: string;
}

export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

/** `Bearer realm="…",service="…",scope="…"` → scheme and parameters. */
export function parseChallenge(header: string | undefined): Challenge | undefined {
  if (!header) return undefined;
  const match = /^\s*(\w+)\s*(.*)$/s.exec(header);
  if (!match) return undefined;
  const params: Record<string, string> = {};
  for (const [, key, quoted, bare] of match[2]!.matchAll(
    /([\w-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))/g,
  )) {
    params[key!.toLowerCase()] = quoted !== undefined ? quoted.replace(/\\(.)/g, '$1') : bare!;
  }
  return { scheme: match[1]!.toLowerCase(), params };
}

export function basicHeader(c: Credentials): string {
  return `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}`;
}

/** A registry answered 401 and we have nothing better to offer. */
export class UnauthorizedError extends Error {
  override readonly name = 'UnauthorizedError';
}

export interface AuthOptions {
  /** `registry-username`/`registry-password`, when given. */
  credentials?: Credentials;
  /**
   * ECR credentials for a host: asked up front for ECR hosts, and after a Basic challenge for
   * any other host (the provider decides whether ECR's proxyEndpoint is that host).
   */
  ecr?: (host: string) => Promise<Credentials | undefined>;
  isEcrHost?: boolean;
  /** Registers a secret with the runner so it never appears in a log. */
  mask: (secret: string) => void;
  /** GETs a token endpoint; injected so the registry client's transport is reused. */
  fetchToken: (url: URL, authorization: string | undefined) => Promise<HttpResponse>;
}

/**
 * One registry host's credentials: Basic (given, or an ECR token) or Bearer tokens per
 * repository from the challenge's realm. Starts with what it knows and learns from 401s.
 */
export class RegistryAuth {
  readonly host: string;
  private readonly options: AuthOptions;
  private basic: string | undefined;
  private ecrTried = false;
  private bearer: Challenge | undefined;
  private readonly tokens = new Map<string, Promise<string>>();
  /** Where the credentials in use came from, for the job summary. */
  source: 'anonymous' | 'credentials' | 'ecr' = 'anonymous';

  constructor(host: string, options: AuthOptions) {
    this.host = host;
    this.options = options;
    if (options.credentials) {
      this.basic = basicHeader(options.credentials);
      this.source = 'credentials';
      options.mask(options.credentials.password);
      options.mask(this.basic.slice('Basic '.length));
    }
  }

  /** The Authorization header for a request to `repo`, if any. */
  async header(repo: string): Promise<string | undefined> {
    if (!this.basic && !this.bearer && this.options.isEcrHost && !this.ecrTried) {
      await this.useEcr();
    }
    if (this.bearer) return `Bearer ${await this.token(repo)}`;
    return this.basic;
  }

  /**
   * Learns from a 401: returns once new credentials are in place for a retry, or throws
   * UnauthorizedError when there is nothing new to try.
   */
  async refresh(
    repo: string,
    wwwAuthenticate: string | undefined,
    used: string | undefined,
  ): Promise<void> {
    const challenge = parseChallenge(wwwAuthenticate);
    if (challenge?.scheme === 'bearer' && challenge.params.realm) {
      // A refused token is dropped so the retry fetches a new one (tokens expire in minutes);
      // the client retries a request once, so a token refused twice ends in UnauthorizedError.
      const stale = used?.startsWith('Bearer ') ? used.slice(7) : undefined;
      const cached = this.tokens.get(repo);
      if (stale && cached && (await cached.catch(() => undefined)) === stale)
        this.tokens.delete(repo);
      this.bearer = challenge;
      return;
    }
    if (this.basic && used !== this.basic) return;
    if (this.options.ecr && !this.ecrTried && this.source !== 'credentials') {
      if (await this.useEcr()) return;
    }
    throw new UnauthorizedError(this.denied());
  }

  /** Why the registry's last 401 cannot be answered, in terms of the inputs. */
  denied(): string {
    switch (this.source) {
      case 'credentials':
        return 'unauthorized: the registry refused registry-username/registry-password';
      case 'ecr':
        return 'unauthorized: the registry refused the ECR authorization token (check the role can ecr:BatchGetImage and ecr:GetDownloadUrlForLayer)';
      default:
        return 'unauthorized: the registry requires credentials (set registry-username and registry-password, or AWS credentials for ECR)';
    }
  }

  private async useEcr(): Promise<boolean> {
    this.ecrTried = true;
    const credentials = await this.options.ecr?.(this.host);
    if (!credentials) return false;
    this.basic = basicHeader(credentials);
    this.options.mask(credentials.password);
    this.options.mask(this.basic.slice('Basic '.length));
    this.source = 'ecr';
    return true;
  }

  private token(repo: string): Promise<string> {
    let token = this.tokens.get(repo);
    if (!token) {
      token = this.requestToken(repo);
      this.tokens.set(repo, token);
      token.catch(() => this.tokens.delete(repo));
    }
    return token;
  }

  private async requestToken(repo: string): Promise<string> {
    const { realm, service } = this.bearer!.params;
    const url = new URL(realm!);
    if (service) url.searchParams.set('service', service);
    url.searchParams.set('scope', `repository:${repo}:pull`);
    const res = await this.options.fetchToken(url, this.basic);
    if (res.status === 401 || res.status === 403) {
      void discard(res);
      throw new UnauthorizedError(this.denied());
    }
    if (res.status !== 200) {
      void discard(res);
      throw new Error(`the token service at ${url.origin} answered HTTP ${res.status}`);
    }
    const body = JSON.parse((await readBody(res, TOKEN_RESPONSE_LIMIT)).toString('utf8')) as {
      token?: string;
      access_token?: string;
    };
    const token = body.token || body.access_token;
    if (!token) throw new Error(`the token service at ${url.origin} returned no token`);
    this.options.mask(token);
    if (this.source === 'anonymous' && this.basic) this.source = 'credentials';
    return token;
  }
}
