// The `circlet` command line.
import { Command } from 'commander';
import { agentCommand } from './agent.ts';
import { configCommand } from './config.ts';
import { projectCommand } from './project.ts';
import { runnerCommand } from './runner.ts';
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
program.addCommand(runnerCommand());
program.addCommand(agentCommand());

await program.parseAsync(process.argv);
