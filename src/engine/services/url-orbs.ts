// URL orbs (`orbs: { foo: https://…/orb.yml }`) at the edge: the compiler stays pure and asks
// its OrbSource; this wraps the server's orb source for one organization so that a URL is
// fetched only when it starts with a prefix on the organization's allow-list
// (docs/organizations.md). Fetched orbs are cached in memory for a few minutes; redirects are
// refused (they could leave the allowed prefix); bodies are capped at the compiler's orb limit.
import type { OrbSource } from '../../config/index.ts';
import { LIMITS } from '../../config/limits.ts';
import { TtlCache } from '../../domain/ttl-cache.ts';
import type { Db } from '../../storage/executor.ts';
import { listAllowEntries } from '../../storage/url-orbs.ts';

const FETCH_TIMEOUT_MS = 10_000;

export class UrlOrbFetcher {
  private readonly cache: TtlCache<string>;

  constructor(opts: { cacheMs?: number } = {}) {
    this.cache = new TtlCache<string>(opts.cacheMs ?? 5 * 60_000, 200);
  }

  /** `base` (registry and directory orbs) plus URL orbs on `organizationId`'s allow-list. */
  forOrganization(db: Db, organizationId: string, base: OrbSource | undefined): OrbSource {
    return {
      resolve: async (ref) => (base ? base.resolve(ref) : null),
      resolveUrl: async (url) => {
        const entries = await listAllowEntries(db, organizationId);
        if (!entries.some((e) => url.startsWith(e.prefix))) {
          throw new Error("not on the organization's URL orb allow-list (add a prefix with `circlet org url-orb add` or POST /api/v2/organization/{org}/url-orb-allow-list)");
        }
        return { source: await this.fetch(url) };
      },
    };
  }

  private async fetch(url: string): Promise<string> {
    const hit = this.cache.get(url);
    if (hit !== undefined) return hit;
    let res: Response;
    try {
      res = await fetch(url, { redirect: 'error', signal: AbortSignal.timeout(FETCH_TIMEOUT_MS), headers: { accept: 'application/yaml, text/yaml, text/plain, */*' } });
    } catch (err) {
      throw new Error(`could not be fetched: ${err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err)}`);
    }
    if (!res.ok) throw new Error(`could not be fetched: HTTP ${res.status}`);
    const declared = Number(res.headers.get('content-length') ?? 0);
    if (declared > LIMITS.orbBytes) throw new Error(`is larger than the ${LIMITS.orbBytes / 1024 / 1024} MB orb limit`);
    const body = await readCapped(res, LIMITS.orbBytes);
    this.cache.set(url, body);
    return body;
  }
}

async function readCapped(res: Response, max: number): Promise<string> {
  const reader = res.body?.getReader();
  if (!reader) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > max) {
      await reader.cancel();
      throw new Error(`is larger than the ${max / 1024 / 1024} MB orb limit`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}
