// `circlet token create`: a personal API token for a user (created when missing).
import { Command } from 'commander';
import { createApiToken, ensureUser, findUserByLogin } from '../storage/users.ts';
import { action, addDataOptions, auditCli, openData, requireOptions } from './shared.ts';

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
        const existed = await findUserByLogin(data.database.db, opts.login);
        const user = existed ?? (await ensureUser(data.database.db, opts.login));
        if (!existed) await auditCli(data.database, { action: 'user.created', target: { type: 'user', id: user.id, name: user.login } });
        const token = await createApiToken(data.database.db, user.id, opts.name);
        await auditCli(data.database, { action: 'api_token.created', target: { type: 'user', id: user.id, name: user.login }, detail: { token_name: opts.name } });
        process.stdout.write(token + '\n');
      } finally {
        await data.database.close();
      }
    }),
  );
  token.addCommand(create);
  return token;
}
