// `circlet project add | list | member add | member remove`: projects and who may see them.
// Membership is per organization, as on CircleCI: a member of gh/acme sees every acme project.
import path from 'node:path';
import { Command } from 'commander';
import { parseProjectSlug, slugOfProject } from '../domain/slug.ts';
import type { Database } from '../storage/db.ts';
import { addMember, ensureOrganization, memberLogins, removeMember, ROLES, setMemberRole, type Role } from '../storage/organizations.ts';
import { createProject, findProjectBySlug, listAllProjects, type ProjectWithOrg } from '../storage/projects.ts';
import { ensureUser, findUserByLogin, type User } from '../storage/users.ts';
import { action, addDataOptions, auditCli, requireOptions, withData, type DataOpts } from './shared.ts';

/** The user a login names; an unknown login is an error saying how to create it. */
async function existingUser(d: Database, login: string): Promise<User> {
  const user = await findUserByLogin(d.db, login);
  if (!user) throw new Error(`no user '${login}': create it first with \`circlet token create --login ${login}\``);
  return user;
}

function parseSlug(slugText: string) {
  const slug = parseProjectSlug(slugText);
  if (!slug || slug.vcs === 'circleci') throw new Error(`invalid project slug '${slugText}': expected gh|github|bb|bitbucket/<org>/<repo>`);
  return slug;
}

async function existingProject(d: Database, slugText: string): Promise<ProjectWithOrg> {
  const project = await findProjectBySlug(d.db, parseSlug(slugText));
  if (!project) throw new Error(`no project ${slugText}: add it with \`circlet project add ${slugText} --repo <url-or-path>\``);
  return project;
}

function addCommand(): Command {
  const add = new Command('add')
    .description('add a project; prints its id. The owner (default: admin) becomes a member of its organization')
    .argument('<slug>', 'project slug: gh|github|bb|bitbucket/<org>/<repo>')
    .option('--repo <url-or-path>', 'git URL or local path of the repository')
    .option('--default-branch <branch>', 'default branch', 'main')
    .option('--owner <login>', 'existing user to make a member (admin) of the organization', 'admin');
  addDataOptions(add);
  requireOptions(add, 'repo');
  return add.action(
    action(async (slugText: string, opts: DataOpts & { repo: string; defaultBranch: string; owner: string }) => {
      const slug = parseSlug(slugText);
      await withData(opts, async (d) => {
        if (await findProjectBySlug(d.db, slug)) throw new Error(`project ${slugText} already exists (add members with \`circlet project member add ${slugText} LOGIN\`)`);
        // `admin` is the user `circlet serve` makes on its first start (made here if that has
        // not happened yet); any other owner must exist already.
        const owner = opts.owner === 'admin' ? await ensureUser(d.db, 'admin', 'Administrator') : await existingUser(d, opts.owner);
        const org = await ensureOrganization(d.db, slug.vcs, slug.org);
        const created = await createProject(d.db, org, { name: slug.project, vcsUrl: normalizeRepo(opts.repo), defaultBranch: opts.defaultBranch });
        await addMember(d.db, org.id, owner.id, 'admin');
        const slugName = slugOfProject(created);
        await auditCli(d, { action: 'project.created', organizationId: org.id, target: { type: 'project', id: created.id, name: slugName } });
        await auditCli(d, { action: 'organization.member_added', organizationId: org.id, target: { type: 'user', id: owner.id, name: owner.login }, detail: { role: 'admin', project: slugName } });
        process.stdout.write(created.id + '\n');
      });
    }),
  );
}

function listCommand(): Command {
  const list = new Command('list').description('list every project: slug, id, repository and organization members');
  addDataOptions(list);
  return list.action(
    action(async (opts: DataOpts) => {
      await withData(opts, async (d) => {
        const projects = await listAllProjects(d.db);
        if (projects.length === 0) {
          process.stdout.write('no projects yet: add one with `circlet project add gh/<org>/<repo> --repo <url-or-path>`\n');
          return;
        }
        for (const p of projects) {
          const members = await memberLogins(d.db, p.organization_id);
          process.stdout.write(`${slugOfProject(p)}\t${p.id}\t${p.vcs_url}\tmembers: ${members.join(',') || '(none)'}\n`);
        }
      });
    }),
  );
}

function memberCommand(): Command {
  const member = new Command('member').description("manage who sees a project (members of the project's organization)");
  const add = new Command('add').description('make a user a member of the project’s organization').argument('<slug>').argument('<login>').option('--role <role>', 'admin, contributor or viewer (member = contributor)', 'admin');
  addDataOptions(add);
  add.action(
    action(async (slugText: string, login: string, opts: DataOpts & { role: string }) => {
      const role = opts.role === 'member' ? 'contributor' : opts.role;
      if (!(ROLES as readonly string[]).includes(role)) throw new Error(`invalid --role '${opts.role}': expected admin, contributor or viewer`);
      await withData(opts, async (d) => {
        const project = await existingProject(d, slugText);
        const user = await existingUser(d, login);
        await setMemberRole(d.db, project.organization_id, user.id, role as Role);
        await auditCli(d, { action: 'organization.member_added', organizationId: project.organization_id, target: { type: 'user', id: user.id, name: user.login }, detail: { role, project: slugOfProject(project) } });
        process.stdout.write(`${login} is a member of ${project.vcs_type}/${project.org_name}\n`);
      });
    }),
  );
  const remove = new Command('remove').description('end a user’s membership of the project’s organization').argument('<slug>').argument('<login>');
  addDataOptions(remove);
  remove.action(
    action(async (slugText: string, login: string, opts: DataOpts) => {
      await withData(opts, async (d) => {
        const project = await existingProject(d, slugText);
        const user = await existingUser(d, login);
        if (!(await removeMember(d.db, project.organization_id, user.id))) throw new Error(`${login} is not a member of ${project.vcs_type}/${project.org_name}`);
        await auditCli(d, { action: 'organization.member_removed', organizationId: project.organization_id, target: { type: 'user', id: user.id, name: user.login }, detail: { project: slugOfProject(project) } });
        process.stdout.write(`${login} is no longer a member of ${project.vcs_type}/${project.org_name}\n`);
      });
    }),
  );
  return member.addCommand(add).addCommand(remove);
}

export function projectCommand(): Command {
  return new Command('project').description('manage projects and their members').addCommand(addCommand()).addCommand(listCommand()).addCommand(memberCommand());
}

/** Local paths are stored absolute; URLs as given. */
export function normalizeRepo(repo: string): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(repo) || /^[^/]+@[^:]+:/.test(repo)) return repo;
  return path.resolve(repo);
}
