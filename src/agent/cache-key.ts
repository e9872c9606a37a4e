// Cache key templates, as CircleCI renders them for save_cache / restore_cache (a small
// subset of Go's text/template): pure, so the step modules gather the inputs (file
// checksums, the environment) and this module only renders.
//
//   {{ .Branch }}              the pipeline's branch ('' for tag pipelines)
//   {{ .Revision }}            the pipeline's revision (commit sha)
//   {{ .BuildNum }}            the job's number
//   {{ .CheckoutKey }}         the checkout key, as base64 SHA-256 of its text (never the key itself)
//   {{ .Environment.NAME }}    the job's variable NAME; `<no value>` when unset, like Go templates
//   {{ checksum "file" }}      base64 (standard, padded) SHA-256 of the file's bytes
//   {{ epoch }}                seconds since 1970-01-01 UTC
//   {{ arch }}                 `arch1-<os>-<cpu>` with Go's names, e.g. arch1-linux-amd64
// `{{-` / `-}}` trim whitespace around an action, as in Go.
import crypto from 'node:crypto';

export interface CacheKeyContext {
  branch: string | null;
  revision: string | null;
  buildNum: number | null;
  checkoutKey: string | null;
  environment: Record<string, string>;
  /** Milliseconds since the epoch. */
  now: number;
  arch: string;
  /** The checksum of a file named in the template (see `checksumFiles`); undefined when unreadable. */
  checksum(file: string): string | undefined;
}

export class CacheKeyError extends Error {}

const ACTION = /\{\{(-?)\s*([\s\S]*?)\s*(-?)\}\}/g;

interface Parsed {
  kind: 'field' | 'env' | 'checksum' | 'epoch' | 'arch';
  value: string;
}

function parseAction(expr: string): Parsed {
  const field = /^\.(Branch|Revision|BuildNum|CheckoutKey)$/.exec(expr);
  if (field) return { kind: 'field', value: field[1]! };
  const env = /^\.Environment\.([A-Za-z_][A-Za-z0-9_]*)$/.exec(expr);
  if (env) return { kind: 'env', value: env[1]! };
  const sum = /^checksum\s+(?:"((?:[^"\\]|\\.)*)"|`([^`]*)`)$/.exec(expr);
  if (sum) return { kind: 'checksum', value: sum[2] ?? JSON.parse(`"${sum[1]}"`) };
  if (expr === 'epoch') return { kind: 'epoch', value: '' };
  if (expr === 'arch') return { kind: 'arch', value: '' };
  throw new CacheKeyError(`unsupported template action {{ ${expr} }} (use .Branch, .Revision, .BuildNum, .CheckoutKey, .Environment.NAME, checksum "file", epoch or arch)`);
}

/** The files a template takes checksums of, in order of appearance. */
export function checksumFiles(template: string): string[] {
  const out: string[] = [];
  for (const m of template.matchAll(ACTION)) {
    let p: Parsed;
    try {
      p = parseAction(m[2]!);
    } catch {
      continue;
    }
    if (p.kind === 'checksum' && !out.includes(p.value)) out.push(p.value);
  }
  return out;
}

/** Renders a key template; throws CacheKeyError for unknown actions or unreadable files. */
export function renderCacheKey(template: string, ctx: CacheKeyContext): string {
  let out = '';
  let last = 0;
  let trimNext = false;
  for (const m of template.matchAll(ACTION)) {
    let text = template.slice(last, m.index);
    if (trimNext) text = text.replace(/^\s+/, '');
    if (m[1] === '-') text = text.replace(/\s+$/, '');
    out += text;
    out += evaluate(parseAction(m[2]!), ctx);
    trimNext = m[3] === '-';
    last = m.index! + m[0].length;
  }
  let rest = template.slice(last);
  if (trimNext) rest = rest.replace(/^\s+/, '');
  return out + rest;
}

function evaluate(p: Parsed, ctx: CacheKeyContext): string {
  switch (p.kind) {
    case 'field':
      if (p.value === 'Branch') return ctx.branch ?? '';
      if (p.value === 'Revision') return ctx.revision ?? '';
      if (p.value === 'BuildNum') return ctx.buildNum === null ? '' : String(ctx.buildNum);
      return ctx.checkoutKey ? sha256Base64(ctx.checkoutKey) : '';
    case 'env':
      return Object.prototype.hasOwnProperty.call(ctx.environment, p.value) ? ctx.environment[p.value]! : '<no value>';
    case 'checksum': {
      const sum = ctx.checksum(p.value);
      if (sum === undefined) throw new CacheKeyError(`error computing checksum of ${p.value}: no such file (or not readable)`);
      return sum;
    }
    case 'epoch':
      return String(Math.floor(ctx.now / 1000));
    case 'arch':
      return ctx.arch;
  }
}

/** CircleCI's checksum: SHA-256 of the bytes, standard base64 with padding. */
export function sha256Base64(data: string | Buffer): string {
  return crypto.createHash('sha256').update(data).digest('base64');
}

/** `{{ arch }}`: `arch1-<GOOS>-<GOARCH>`. CircleCI appends the CPU family and model (…-6_85); we leave them out so keys stay stable across machines of one architecture. */
export function archValue(platform: string = process.platform, arch: string = process.arch): string {
  const os = platform === 'win32' ? 'windows' : platform;
  const cpu = ({ x64: 'amd64', ia32: '386', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' } as Record<string, string>)[arch] ?? arch;
  return `arch1-${os}-${cpu}`;
}
