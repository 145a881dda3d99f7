import { Command, CommanderError } from 'commander';
import { version } from '../package.json';
import { registerCallCommand } from './commands/call';
import { registerCallCommands } from './commands/calls';
import { registerConsoleCommand } from './commands/console';
import { registerDevCommand } from './commands/dev';
import { registerNumberCommands } from './commands/numbers';
import { registerSecretCommands } from './commands/secrets';
import { registerSimulateCommand } from './commands/simulate';
import { registerStatusCommand } from './commands/status';
import { registerTryCommand } from './commands/try';
import { registerWavixCommands } from './commands/wavix';
import { describeAwsError } from './aws-errors';
import { CliError, EXIT } from './errors';
import { processOutput, type Output } from './output';

export function buildProgram(out: Output = processOutput): Command {
  const program = new Command('switchboard')
    .description('Answer phone calls with OpenAI Realtime voice agents: configure numbers, read call history, run locally')
    .version(version, '-V, --version', 'print the version')
    .exitOverride()
    .configureOutput({ writeOut: (s) => out.line(s.trimEnd()), writeErr: (s) => out.note(s.trimEnd()) });
  registerSimulateCommand(program, out);
  registerDevCommand(program, out);
  registerCallCommand(program, out);
  registerTryCommand(program, out);
  registerNumberCommands(program, out);
  registerCallCommands(program, out);
  registerConsoleCommand(program, out);
  registerSecretCommands(program, out);
  registerStatusCommand(program, out);
  registerWavixCommands(program, out);
  // Commander's own help command reads one name only: `help numbers put` printed the help of `numbers`.
  program
    .command('help [command...]')
    .description('show the help of a command (switchboard help numbers put)')
    .action((path: string[]) => commandAt(program, path).outputHelp());
  return program;
}

/** The command `path` names under `program` (`['numbers', 'put']`). */
function commandAt(program: Command, path: string[]): Command {
  let command = program;
  for (const [i, name] of path.entries()) {
    const sub = command.commands.find((c) => c.name() === name || c.aliases().includes(name));
    if (!sub) {
      const parentHelp = ['switchboard help', ...path.slice(0, i)].join(' ');
      throw new CliError(`unknown command "${path.slice(0, i + 1).join(' ')}": \`${parentHelp}\` lists its commands`, EXIT.usage);
    }
    command = sub;
  }
  return command;
}

/** Runs the CLI; resolves to the process exit code. */
export async function main(argv: string[], out: Output = processOutput): Promise<number> {
  try {
    await buildProgram(out).parseAsync(argv);
    return EXIT.ok;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    if (err instanceof CliError) {
      out.note(`error: ${err.message}`);
      return err.exitCode;
    }
    out.note(`error: ${describeAwsError(err, process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION) ?? (err as Error).message ?? String(err)}`);
    return EXIT.failure;
  }
}
