// `circlet runner token create`: a token an agent presents to claim jobs.
import { Command } from 'commander';
import { createRunnerToken } from '../storage/runner-tokens.ts';
import { action, addDataOptions, openData } from './shared.ts';

export function runnerCommand(): Command {
  const runner = new Command('runner').description('manage runner agents');
  const token = new Command('token').description('manage runner tokens');
  const create = new Command('create')
    .description('create a runner token; prints only the token')
    .option('--resource-class <name>', "self-hosted resource class (namespace/name) the token's agents serve; default: cloud classes")
    .option('--name <name>', 'a name for the token', 'runner');
  addDataOptions(create);
  create.action(
    action(async (opts: { resourceClass?: string; name: string; dataDir?: string; databaseUrl?: string }) => {
      if (opts.resourceClass !== undefined && !/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/.test(opts.resourceClass)) {
        throw new Error(`invalid --resource-class '${opts.resourceClass}': expected namespace/name`);
      }
      const data = await openData(opts);
      try {
        process.stdout.write((await createRunnerToken(data.database.db, opts.name, opts.resourceClass ?? '')) + '\n');
      } finally {
        await data.database.close();
      }
    }),
  );
  token.addCommand(create);
  runner.addCommand(token);
  return runner;
}
