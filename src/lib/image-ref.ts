/** A container image reference: `[registry/]repository[:tag][@sha256:digest]`. */
export interface ImageRef {
  /** Registry host (with port); `docker.io` when the reference names none. */
  registry: string;
  repository: string;
  tag?: string;
  digest?: string;
}

export interface EcrRegistry {
  accountId: string;
  region: string;
}

const DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const ECR_HOST = /^(\d{12})\.dkr\.ecr(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?$/;

/** Parses a reference, or returns an explanation of why it is not one. */
export function parseImageRef(text: string): ImageRef | { error: string } {
  if (text === '' || /\s/.test(text))
    return { error: 'an image reference has no spaces and is not empty' };
  let rest = text;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) return { error: `invalid digest '${digest}'` };
  }
  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) return { error: `invalid tag '${tag}'` };
  }
  const parts = rest.split('/');
  let registry = 'docker.io';
  const first = parts[0]!;
  if (parts.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost')) {
    registry = first;
    parts.shift();
  }
  if (parts.length === 0 || parts.some((p) => !PATH_COMPONENT.test(p))) {
    return {
      error: `invalid repository name '${parts.join('/')}' (lowercase letters, digits, . _ - and /)`,
    };
  }
  const repository =
    registry === 'docker.io' && parts.length === 1 ? `library/${parts[0]}` : parts.join('/');
  const ref: ImageRef = { registry, repository };
  if (tag !== undefined) ref.tag = tag;
  if (digest !== undefined) ref.digest = digest;
  return ref;
}

export function isImageRef(value: ImageRef | { error: string }): value is ImageRef {
  return !('error' in value);
}

/** The account and region of an ECR registry host, or undefined for other registries. */
export function ecrRegistry(host: string): EcrRegistry | undefined {
  const match = ECR_HOST.exec(host);
  return match ? { accountId: match[1]!, region: match[2]! } : undefined;
}

/** Formats a reference back; `docker.io/library/x` is written as the user would, `x`. */
export function formatImageRef(ref: ImageRef): string {
  const repo =
    ref.registry === 'docker.io'
      ? ref.repository.replace(/^library\//, '')
      : `${ref.registry}/${ref.repository}`;
  return `${repo}${ref.tag ? `:${ref.tag}` : ''}${ref.digest ? `@${ref.digest}` : ''}`;
}
