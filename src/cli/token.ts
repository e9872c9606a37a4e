// `circlet token create`: a personal API token for a user (created when missing).
import { Command } from 'commander';
import { createApiToken, ensureUser } from '../storage/users.ts';
import { action, addDataOptions, openData, requireOptions } from './shared.ts';

export function tokenCommand(): Command {
  const token = new Command('token').description('manage personal API tokens');
  const create = new Command('create')
    .description('create a personal API token; prints only the token')
    .option('--login <login>', 'user login (created if missing)')
    .option('--name <name>', 'a name for the token', 'cli');
  addDataOptions(create);
  requireOptions(create, 'login');
  create.action(
    action(async (opts: { login: string; name: string; dataDir?: string; databaseUrl?: string }) => {
      const data = await openData(opts);
      try {
        const user = await ensureUser(data.database.db, opts.login);
        process.stdout.write((await createApiToken(data.database.db, user.id, opts.name)) + '\n');
      } finally {
        await data.database.close();
      }
    }),
  );
  token.addCommand(create);
  return token;
}
