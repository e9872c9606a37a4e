// The `circlet` command line. Each command's module (and whatever it imports) is loaded only
// when that command runs, so `circlet --help` and argument errors start in a few milliseconds.
// First: it must run before any other module takes a tick (keep-tick-shape.ts says why).
import '../server/keep-tick-shape.ts';
import { Command } from 'commander';

interface CommandEntry {
  name: string;
  description: string;
  load: () => Promise<Command>;
}

const COMMANDS: CommandEntry[] = [
  { name: 'serve', description: 'start the circlet server (SQLite under ./.circlet by default)', load: async () => (await import('./serve.ts')).serveCommand() },
  { name: 'token', description: 'manage personal API tokens', load: async () => (await import('./token.ts')).tokenCommand() },
  { name: 'project', description: 'manage projects and their members', load: async () => (await import('./project.ts')).projectCommand() },
  { name: 'org', description: 'manage organizations, members, groups and the URL orb allow-list', load: async () => (await import('./org.ts')).orgCommand() },
  { name: 'config', description: 'validate and process a .circleci/config.yml locally', load: async () => (await import('./config.ts')).configCommand() },
  { name: 'runner', description: 'manage runner agents', load: async () => (await import('./runner.ts')).runnerCommand() },
  { name: 'run', description: 'run the workflows of the repository you are in, on this machine, from its working tree', load: async () => (await import('./run-bundle.ts')).loadRunCommand() },
  { name: 'audit', description: 'print the audit log (CSV or JSON lines)', load: async () => (await import('./audit.ts')).auditCommand() },
  { name: 'backup', description: 'back up the data dir (database, blobs, secret key) while the server runs', load: async () => (await import('./backup.ts')).backupCommand() },
  { name: 'restore', description: 'restore a backup into a new, empty data dir', load: async () => (await import('./backup.ts')).restoreCommand() },
  { name: 'agent', description: 'run a runner agent: claim jobs from a circlet server and run them on this machine', load: async () => (await import('./agent.ts')).agentCommand() },
];

function rootCommand(): Command {
  return new Command('circlet').description('circlet: a self-hosted CI server that speaks the CircleCI API').version('0.1.0').showHelpAfterError();
}

const argv = process.argv.slice(2);
// `circlet help <command>` is `circlet <command> --help`.
if (argv[0] === 'help' && COMMANDS.some((c) => c.name === argv[1])) argv.splice(0, 2, argv[1]!, '--help');
const entry = COMMANDS.find((c) => c.name === argv[0]);
const program = rootCommand();
if (entry) {
  // Only the named command is loaded, under a root of the same name so usage lines read
  // `circlet <command> …`.
  program.addCommand(await entry.load());
} else {
  // `circlet`, `circlet --help`, `--version` or an unknown command: the list is enough.
  for (const c of COMMANDS) program.command(c.name).description(c.description);
}
await program.parseAsync(argv, { from: 'user' });
