// `circlet runner resource-class create ns/name --org gh/acme`: a self-hosted resource class
// of one organization; `circlet runner token create`: a token an agent presents to claim jobs.
import { Command } from 'commander';
import { vcsTypeOf } from '../domain/slug.ts';
import { findOrganization } from '../storage/organizations.ts';
import { createResourceClass, findResourceClass, RESOURCE_CLASS_RE } from '../storage/resource-classes.ts';
import { createRunnerToken } from '../storage/runner-tokens.ts';
import { action, addDataOptions, auditCli, withData } from './shared.ts';

function checkClass(name: string, option: string): void {
  if (!RESOURCE_CLASS_RE.test(name)) throw new Error(`invalid ${option} '${name}': expected namespace/name`);
}

function resourceClassCommand(): Command {
  const rc = new Command('resource-class').description('manage self-hosted resource classes (each belongs to one organization)');
  const create = new Command('create')
    .description('create a self-hosted resource class namespace/name for an organization')
    .argument('<name>', 'resource class: namespace/name')
    .requiredOption('--org <slug>', 'the organization that owns it: gh|github|bb|bitbucket/<org>');
  addDataOptions(create);
  create.action(
    action(async (name: string, opts: { org: string; dataDir?: string; databaseUrl?: string }) => {
      checkClass(name, 'resource class');
      const [provider, orgName, ...rest] = opts.org.split('/');
      const vcs = provider ? vcsTypeOf(provider) : undefined;
      if (!vcs || vcs === 'circleci' || !orgName || rest.length > 0) throw new Error(`invalid --org '${opts.org}': expected gh|github|bb|bitbucket/<org>`);
      await withData(opts, async (d) => {
        const org = await findOrganization(d.db, vcs, orgName);
        if (!org) throw new Error(`no organization ${opts.org}: add one of its projects first (circlet project add)`);
        const existing = await findResourceClass(d.db, name);
        if (existing) throw new Error(`resource class ${name} already exists`);
        await createResourceClass(d.db, name, org.id);
        await auditCli(d, { action: 'resource_class.created', organizationId: org.id, target: { type: 'resource_class', name } });
        process.stdout.write(name + '\n');
      });
    }),
  );
  rc.addCommand(create);
  return rc;
}

export function runnerCommand(): Command {
  const runner = new Command('runner').description('manage runner agents');
  const token = new Command('token').description('manage runner tokens');
  const create = new Command('create')
    .description('create a runner token; prints only the token')
    .option('--resource-class <name>', "self-hosted resource class (namespace/name, created with `runner resource-class create`) the token's agents serve; default: cloud classes")
    .option('--name <name>', 'a name for the token', 'runner');
  addDataOptions(create);
  create.action(
    action(async (opts: { resourceClass?: string; name: string; dataDir?: string; databaseUrl?: string }) => {
      if (opts.resourceClass !== undefined) checkClass(opts.resourceClass, '--resource-class');
      await withData(opts, async (d) => {
        const token = await createRunnerToken(d.db, opts.name, opts.resourceClass ?? '');
        const rc = opts.resourceClass ? await findResourceClass(d.db, opts.resourceClass) : undefined;
        await auditCli(d, {
          action: 'runner_token.created',
          organizationId: rc?.organization_id ?? null,
          target: { type: 'runner_token', name: opts.name },
          detail: { resource_class: opts.resourceClass ?? null },
        });
        process.stdout.write(token + '\n');
      });
    }),
  );
  token.addCommand(create);
  runner.addCommand(token);
  runner.addCommand(resourceClassCommand());
  return runner;
}
