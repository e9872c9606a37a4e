// How an answer of today's server is compared with the old server's recorded one: equal, after
// the server's own URL and presigned-URL signatures are normalised, but for the differences
// listed in ALLOWED, each a field added or changed on purpose since the fixture's commit.
import type { RecordedAnswer } from './upgrade-fixture.ts';

export interface AllowedDifference {
  /** The routes it applies to. */
  route: RegExp;
  /** The JSON path of the field (e.g. `items.0.definition_id`). */
  at: RegExp;
  kind: 'added' | 'changed' | 'removed';
  /** Why it differs (the commit or issue that changed it). */
  why: string;
}

export const ALLOWED: AllowedDifference[] = [];

interface Difference {
  at: string;
  kind: 'added' | 'changed' | 'removed';
  was?: unknown;
  now?: unknown;
}

function differences(was: unknown, now: unknown, at: string, out: Difference[]): void {
  if (was !== null && now !== null && typeof was === 'object' && typeof now === 'object' && Array.isArray(was) === Array.isArray(now)) {
    const a = was as Record<string, unknown>;
    const b = now as Record<string, unknown>;
    for (const k of Object.keys(a)) {
      const p = at === '' ? k : `${at}.${k}`;
      if (!(k in b)) out.push({ at: p, kind: 'removed', was: a[k] });
      else differences(a[k], b[k], p, out);
    }
    for (const k of Object.keys(b)) if (!(k in a)) out.push({ at: at === '' ? k : `${at}.${k}`, kind: 'added', now: b[k] });
    return;
  }
  if (JSON.stringify(was) !== JSON.stringify(now)) out.push({ at, kind: 'changed', was, now });
}

export function normalise(value: unknown, urls: { oldUrl: string; newUrl: string }): unknown {
  const text = JSON.stringify(value)
    .split(urls.oldUrl)
    .join('ORIGIN')
    .split(urls.newUrl)
    .join('ORIGIN')
    // Presigned download links carry their expiry and signature.
    .replace(/expires=\d+&sig=[0-9a-f]+/g, 'SIGNED');
  return JSON.parse(text);
}

/** The differences between the recorded and today's answer that ALLOWED does not list, as text. */
export function compareAnswer(recorded: RecordedAnswer, now: { status: number; body: unknown }, urls: { oldUrl: string; newUrl: string }, allowed = ALLOWED): string[] {
  const route = `GET ${recorded.path} (as ${recorded.as})`;
  if (now.status !== recorded.status) return [`${route}: status ${now.status}, was ${recorded.status}: ${JSON.stringify(now.body).slice(0, 300)}`];
  const found: Difference[] = [];
  differences(normalise(recorded.body, urls), normalise(now.body, urls), '', found);
  return found
    .filter((d) => !allowed.some((r) => r.kind === d.kind && r.route.test(recorded.path) && r.at.test(d.at)))
    .map((d) => `${route}: ${d.kind} ${d.at || '(body)'}${d.kind !== 'added' ? ` was ${JSON.stringify(d.was)?.slice(0, 120)}` : ''}${d.kind !== 'removed' ? ` now ${JSON.stringify(d.now)?.slice(0, 120)}` : ''}`);
}
