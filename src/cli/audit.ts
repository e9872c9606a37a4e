// `circlet audit [--org gh/acme] [--since 7d] [--format jsonl|csv]`: the audit log, newest
// first, read from the server's data (as `circlet token` does), every page.
import { Command, InvalidArgumentError } from 'commander';
import { UUID_RE } from '../domain/clock.ts';
import { vcsTypeOf } from '../domain/slug.ts';
import { readAuditLog, type AuditEntry } from '../engine/services/audit.ts';
import { findOrganization, getOrganization } from '../storage/organizations.ts';
import { action, addDataOptions, withData } from './shared.ts';

const COLUMNS = ['occurred_at', 'organization_id', 'actor_id', 'actor_login', 'source', 'ip', 'action', 'target_type', 'target_id', 'target_name', 'outcome', 'detail'] as const;

/** `7d`, `12h`, `30m` before now, or an ISO-8601 date or time; as ISO-8601 UTC. */
export function parseSince(value: string, now = new Date()): string {
  const rel = /^(\d+)([dhm])$/.exec(value.trim());
  if (rel) {
    const unit = { d: 86_400_000, h: 3_600_000, m: 60_000 }[rel[2] as 'd' | 'h' | 'm'];
    return new Date(now.getTime() - Number(rel[1]) * unit).toISOString();
  }
  const t = Date.parse(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(t)) throw new InvalidArgumentError('expected a duration (7d, 12h, 30m) or an ISO-8601 date or time');
  return new Date(t).toISOString();
}

function parseFormat(value: string): 'jsonl' | 'csv' {
  if (value !== 'jsonl' && value !== 'csv') throw new InvalidArgumentError('expected jsonl or csv');
  return value;
}

/** RFC 4180: quoted when it holds a comma, quote or line break; quotes doubled. */
function csvField(v: string | null): string {
  if (v === null) return '';
  return /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

export function csvRow(e: AuditEntry): string {
  const values: Record<(typeof COLUMNS)[number], string | null> = {
    occurred_at: e.occurred_at,
    organization_id: e.organization_id,
    actor_id: e.actor.id,
    actor_login: e.actor.login,
    source: e.source,
    ip: e.ip,
    action: e.action,
    target_type: e.target.type,
    target_id: e.target.id,
    target_name: e.target.name,
    outcome: e.outcome,
    detail: JSON.stringify(e.detail),
  };
  return COLUMNS.map((c) => csvField(values[c])).join(',');
}

export function auditCommand(): Command {
  const cmd = new Command('audit')
    .description('print the audit log (newest first): tokens, members, env vars and contexts (names only), keys, runner tokens, webhooks, schedules, sign-ins')
    .option('--org <org>', 'only this organization (gh|github|bb|bitbucket/<org>, or its id) and its members’ sign-ins and tokens')
    .option('--since <when>', 'only events since: a duration (7d, 12h, 30m) or an ISO-8601 date or time', (v: string) => parseSince(v))
    .option('--format <format>', 'jsonl (one JSON object a line) or csv (with a header line)', parseFormat, 'jsonl');
  addDataOptions(cmd);
  return cmd.action(
    action(async (opts: { org?: string; since?: string; format: 'jsonl' | 'csv'; dataDir?: string; databaseUrl?: string }) => {
      await withData(opts, async (d) => {
        let organizationId: string | undefined;
        if (opts.org !== undefined) {
          const [provider, name, ...rest] = opts.org.split('/');
          const vcs = provider ? vcsTypeOf(provider) : undefined;
          const org = UUID_RE.test(opts.org)
            ? await getOrganization(d.db, opts.org.toLowerCase())
            : vcs && vcs !== 'circleci' && name && rest.length === 0
              ? await findOrganization(d.db, vcs, name)
              : undefined;
          if (!org) throw new Error(`no organization '${opts.org}': expected gh|github|bb|bitbucket/<org> or an organization id`);
          organizationId = org.id;
        }
        if (opts.format === 'csv') process.stdout.write(COLUMNS.join(',') + '\n');
        let after: [string, string] | undefined;
        for (;;) {
          const page = await readAuditLog(d.db, { organizationId, since: opts.since, limit: 500, after });
          const out = page.items.map((e) => (opts.format === 'csv' ? csvRow(e) : JSON.stringify(e))).join('\n');
          if (out) process.stdout.write(out + '\n');
          const last = page.items[page.items.length - 1];
          if (!page.next_page_token || !last) break;
          after = [last.occurred_at, last.id];
        }
      });
    }),
  );
}
