// The `circlet` command line.
import { Command } from 'commander';
import { configCommand } from './config.ts';
import { projectCommand } from './project.ts';
import { serveCommand } from './serve.ts';
import { tokenCommand } from './token.ts';

const program = new Command('circlet')
  .description('circlet: a self-hosted CI server that speaks the CircleCI API')
  .version('0.1.0')
  .showHelpAfterError();

program.addCommand(serveCommand());
program.addCommand(tokenCommand());
program.addCommand(projectCommand());
program.addCommand(configCommand());

await program.parseAsync(process.argv);
