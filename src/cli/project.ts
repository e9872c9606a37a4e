// `circlet project add`: register a project (its organization created when missing).
import path from 'node:path';
import { Command } from 'commander';
import { parseProjectSlug } from '../domain/slug.ts';
import { addMember, ensureOrganization } from '../storage/organizations.ts';
import { createProject, findProjectBySlug } from '../storage/projects.ts';
import { ensureUser } from '../storage/users.ts';
import { action, addDataOptions, openData } from './shared.ts';

export function projectCommand(): Command {
  const project = new Command('project').description('manage projects');
  const add = new Command('add')
    .description('add a project; prints its id')
    .argument('<slug>', 'project slug: gh|github|bb|bitbucket/<org>/<repo>')
    .requiredOption('--repo <url-or-path>', 'git URL or local path of the repository')
    .option('--default-branch <branch>', 'default branch', 'main')
    .option('--owner <login>', 'user to make a member of the organization');
  addDataOptions(add);
  add.action(
    action(async (slugText: string, opts: { repo: string; defaultBranch: string; owner?: string; dataDir?: string; databaseUrl?: string }) => {
      const slug = parseProjectSlug(slugText);
      if (!slug || slug.vcs === 'circleci') throw new Error(`invalid project slug '${slugText}': expected gh|github|bb|bitbucket/<org>/<repo>`);
      const data = await openData(opts);
      try {
        if (await findProjectBySlug(data.database, slug)) throw new Error(`project ${slugText} already exists`);
        const org = await ensureOrganization(data.database, slug.vcs, slug.org);
        const created = await createProject(data.database, org, { name: slug.project, vcsUrl: normalizeRepo(opts.repo), defaultBranch: opts.defaultBranch });
        if (opts.owner) await addMember(data.database, org.id, (await ensureUser(data.database, opts.owner)).id, 'admin');
        process.stdout.write(created.id + '\n');
      } finally {
        await data.database.close();
      }
    }),
  );
  project.addCommand(add);
  return project;
}

/** Local paths are stored absolute; URLs as given. */
export function normalizeRepo(repo: string): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(repo) || /^[^/]+@[^:]+:/.test(repo)) return repo;
  return path.resolve(repo);
}
