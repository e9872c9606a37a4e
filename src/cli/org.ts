// `circlet org create | delete | list | member | group | url-orb`: organizations, their members'
// roles (admin, contributor, viewer), groups (usable in context restrictions) and the URL orb
// allow-list (docs/organizations.md). Works on the data directory, as `circlet project` does.
import { Command } from 'commander';
import { UUID_RE } from '../domain/clock.ts';
import { formatOrgSlug, vcsTypeOf } from '../domain/slug.ts';
import type { Database } from '../storage/db.ts';
import { addGroupMember, createGroup, deleteGroup, findGroupByName, groupMemberLogins, listGroups, removeGroupMember } from '../storage/org-groups.ts';
import { addMember, createOrganization, deleteOrganization, findOrganization, getOrganization, listOrganizations, memberLogins, membershipRole, removeMember, ROLES, setMemberRole, type Organization, type Role } from '../storage/organizations.ts';
import { createAllowEntry, deleteAllowEntry, listAllowEntries } from '../storage/url-orbs.ts';
import { ensureUser, findUserByLogin } from '../storage/users.ts';
import { action, addDataOptions, withData, type DataOpts } from './shared.ts';

const slugOf = (o: Organization) => (o.vcs_type === 'circleci' ? `circleci/${o.id}` : formatOrgSlug(o.vcs_type, o.name));
const out = (s: string) => process.stdout.write(s + '\n');

/** `gh/acme`, `circleci/<id>` or an id. */
async function existingOrg(d: Database, text: string): Promise<Organization> {
  const [a, b] = text.split('/');
  const org = UUID_RE.test(text)
    ? await getOrganization(d.db, text)
    : b && vcsTypeOf(a!) === 'circleci'
      ? await getOrganization(d.db, b)
      : b && vcsTypeOf(a!)
        ? await findOrganization(d.db, vcsTypeOf(a!)!, b)
        : undefined;
  if (!org) throw new Error(`no organization ${text} (expected gh/<org>, bb/<org>, circleci/<id> or an id)`);
  return org;
}

async function existingUser(d: Database, login: string) {
  const user = await findUserByLogin(d.db, login);
  if (!user) throw new Error(`no user '${login}': create it first with \`circlet token create --login ${login}\``);
  return user;
}

function cmd(name: string, description: string, args: string[], fn: (d: Database, ...rest: any[]) => Promise<void>, options: (c: Command) => Command = (c) => c): Command {
  const c = options(new Command(name).description(description));
  for (const a of args) c.argument(a);
  addDataOptions(c);
  c.action(action(async (...all: unknown[]) => withData(all[args.length] as DataOpts, (d) => fn(d, ...all.slice(0, args.length + 1)))));
  return c;
}

function memberCommand(): Command {
  const member = new Command('member').description("organization members and their roles (admin, contributor, viewer)");
  member.addCommand(
    cmd('set', "add a member, or change a member's role", ['<org>', '<login>'], async (d, org: string, login: string, opts: { role: string }) => {
      if (!(ROLES as readonly string[]).includes(opts.role)) throw new Error(`invalid --role '${opts.role}': expected admin, contributor or viewer`);
      const o = await existingOrg(d, org);
      await setMemberRole(d.db, o.id, (await existingUser(d, login)).id, opts.role as Role);
      out(`${login} is ${opts.role === 'admin' ? 'an' : 'a'} ${opts.role} of ${slugOf(o)}`);
    }, (c) => c.option('--role <role>', 'admin, contributor or viewer', 'contributor')),
  );
  member.addCommand(
    cmd('remove', 'end a membership', ['<org>', '<login>'], async (d, org: string, login: string) => {
      const o = await existingOrg(d, org);
      if (!(await removeMember(d.db, o.id, (await existingUser(d, login)).id))) throw new Error(`${login} is not a member of ${slugOf(o)}`);
      out(`${login} is no longer a member of ${slugOf(o)}`);
    }),
  );
  member.addCommand(
    cmd('list', 'members with their roles', ['<org>'], async (d, org: string) => {
      const o = await existingOrg(d, org);
      for (const login of await memberLogins(d.db, o.id)) out(`${login}\t${await membershipRole(d.db, o.id, (await findUserByLogin(d.db, login))!.id)}`);
    }),
  );
  return member;
}

function groupCommand(): Command {
  const group = new Command('group').description('groups of members, usable in context restrictions');
  const named = async (d: Database, org: string, name: string) => {
    const o = await existingOrg(d, org);
    const g = await findGroupByName(d.db, o.id, name);
    if (!g) throw new Error(`no group '${name}' in ${slugOf(o)}`);
    return { o, g };
  };
  group.addCommand(
    cmd('create', 'create a group; prints its id', ['<org>', '<name>'], async (d, org: string, name: string, opts: { description: string }) => {
      const o = await existingOrg(d, org);
      const g = await createGroup(d.db, o.id, name, opts.description);
      if (!g) throw new Error(`${slugOf(o)} already has a group '${name}'`);
      out(g.id);
    }, (c) => c.option('--description <text>', 'what the group is for', '')),
  );
  group.addCommand(
    cmd('delete', 'delete a group (its context restrictions then admit nobody)', ['<org>', '<name>'], async (d, org: string, name: string) => {
      await deleteGroup(d.db, (await named(d, org, name)).g.id);
      out(`deleted group ${name}`);
    }),
  );
  group.addCommand(
    cmd('list', 'groups with their members', ['<org>'], async (d, org: string) => {
      const o = await existingOrg(d, org);
      for (const g of await listGroups(d.db, o.id, 10_000)) out(`${g.name}\t${g.id}\tmembers: ${(await groupMemberLogins(d.db, g.id)).join(',')}`);
    }),
  );
  group.addCommand(
    cmd('add-member', 'add an organization member to a group', ['<org>', '<group>', '<login>'], async (d, org: string, name: string, login: string) => {
      const { o, g } = await named(d, org, name);
      const user = await existingUser(d, login);
      if (!(await membershipRole(d.db, o.id, user.id))) throw new Error(`${login} is not a member of ${slugOf(o)} (add them with \`circlet org member set\`)`);
      await addGroupMember(d.db, g.id, user.id);
      out(`${login} is in group ${name}`);
    }),
  );
  group.addCommand(
    cmd('remove-member', 'remove a user from a group', ['<org>', '<group>', '<login>'], async (d, org: string, name: string, login: string) => {
      const { g } = await named(d, org, name);
      if (!(await removeGroupMember(d.db, g.id, (await existingUser(d, login)).id))) throw new Error(`${login} is not in group ${name}`);
      out(`${login} is no longer in group ${name}`);
    }),
  );
  return group;
}

function urlOrbCommand(): Command {
  const urlOrb = new Command('url-orb').description('the URL orb allow-list: URL orbs are fetched only under these prefixes');
  urlOrb.addCommand(
    cmd('add', 'allow URL orbs under a prefix; prints the entry id', ['<org>', '<prefix>'], async (d, org: string, prefix: string, opts: { name?: string }) => {
      if (!/^https?:\/\/[^/]+\//.test(prefix)) throw new Error(`invalid prefix '${prefix}': an http(s) URL with a host and a path, e.g. https://example.com/orbs/`);
      const o = await existingOrg(d, org);
      out((await createAllowEntry(d.db, o.id, { name: opts.name ?? prefix, prefix, auth: 'none' })).id);
    }, (c) => c.option('--name <name>', 'a name for the entry (default: the prefix)')),
  );
  urlOrb.addCommand(
    cmd('list', 'the allow-list', ['<org>'], async (d, org: string) => {
      for (const e of await listAllowEntries(d.db, (await existingOrg(d, org)).id)) out(`${e.id}\t${e.prefix}\t${e.name}`);
    }),
  );
  urlOrb.addCommand(
    cmd('remove', 'remove an entry', ['<org>', '<id>'], async (d, org: string, id: string) => {
      if (!UUID_RE.test(id) || !(await deleteAllowEntry(d.db, (await existingOrg(d, org)).id, id))) throw new Error(`no allow-list entry ${id} in ${org}`);
      out(`removed ${id}`);
    }),
  );
  return urlOrb;
}

export function orgCommand(): Command {
  const org = new Command('org').description('manage organizations, members, groups and the URL orb allow-list');
  org.addCommand(
    cmd('create', 'create an organization; prints its id. The owner (default: admin) becomes its admin', ['<name>'], async (d, name: string, opts: { vcs: string; owner: string }) => {
      const vcs = vcsTypeOf(opts.vcs);
      if (!vcs) throw new Error(`invalid --vcs '${opts.vcs}': expected circleci, github or bitbucket`);
      const owner = opts.owner === 'admin' ? await ensureUser(d.db, 'admin', 'Administrator') : await existingUser(d, opts.owner);
      const o = await createOrganization(d.db, vcs, name);
      if (!o) throw new Error(`an organization ${vcs}/${name} already exists`);
      await addMember(d.db, o.id, owner.id, 'admin');
      out(o.id);
    }, (c) => c.option('--vcs <type>', 'circleci, github or bitbucket', 'circleci').option('--owner <login>', 'existing user to make its admin', 'admin')),
  );
  org.addCommand(
    cmd('delete', 'delete an organization with its projects, pipelines, contexts and groups', ['<org>'], async (d, text: string) => {
      const o = await existingOrg(d, text);
      await deleteOrganization(d.db, o.id);
      out(`deleted ${slugOf(o)}`);
    }),
  );
  org.addCommand(
    cmd('list', 'every organization', [], async (d) => {
      const rows = await listOrganizations(d.db);
      for (const o of rows) out(`${slugOf(o)}\t${o.id}\tmembers: ${(await memberLogins(d.db, o.id)).join(',')}`);
    }),
  );
  org.addCommand(memberCommand());
  org.addCommand(groupCommand());
  org.addCommand(urlOrbCommand());
  return org;
}
