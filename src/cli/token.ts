// `circlet token create`: a personal API token for a user (created when missing).
import { Command } from 'commander';
import { createApiToken, ensureUser, findUserByLogin } from '../storage/users.ts';
import { action, addDataOptions, auditCli, withData, requireOptions } from './shared.ts';

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
      await withData(opts, async (d) => {
        const existed = await findUserByLogin(d.db, opts.login);
        const user = existed ?? (await ensureUser(d.db, opts.login));
        if (!existed) await auditCli(d, { action: 'user.created', target: { type: 'user', id: user.id, name: user.login } });
        const token = await createApiToken(d.db, user.id, opts.name);
        await auditCli(d, { action: 'api_token.created', target: { type: 'user', id: user.id, name: user.login }, detail: { token_name: opts.name } });
        process.stdout.write(token + '\n');
      });
    }),
  );
  token.addCommand(create);
  return token;
}
