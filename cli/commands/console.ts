import { spawn } from 'node:child_process';
import type { Command } from 'commander';
import { startConsoleServer } from '../../console/server/console-server';
import { resolveDataTarget, withDataOptions, type DataOptions } from '../data-target';
import { CliError, EXIT } from '../errors';
import type { Output } from '../output';
import { untilStopped } from '../stop-signal';
import { portArgument } from './dev';

/** The program that opens a URL in the desktop's browser; none without a display to show it on. */
export function browserOpener(platform: NodeJS.Platform, env: NodeJS.ProcessEnv): { command: string; args: (url: string) => string[] } | undefined {
  if (platform === 'darwin') return { command: 'open', args: (url) => [url] };
  if (platform === 'win32') return { command: 'cmd', args: (url) => ['/c', 'start', '""', url] };
  if (!env.DISPLAY && !env.WAYLAND_DISPLAY) return undefined;
  return { command: 'xdg-open', args: (url) => [url] };
}

export function registerConsoleCommand(program: Command, out: Output): void {
  withDataOptions(
    program
      .command('console')
      .description('open call history and numbers in the browser: served from this machine on 127.0.0.1 with your AWS credentials (Ctrl-C stops)')
      .option('--port <port>', 'the port on 127.0.0.1 (0: any free one)', portArgument, 8788)
      .option('--no-open', 'print the address, do not open a browser'),
  ).action(async (opts: DataOptions & { port: number; open: boolean }) => {
    const target = await resolveDataTarget(opts);
    const server = await startConsoleServer({
      data: { numbers: target.numbers, calls: target.calls, description: target.description, monthlyBudgetUsd: target.stack?.monthlyBudgetUsd },
      port: opts.port,
    }).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') throw new CliError(`port ${opts.port} is already in use: stop what holds it or pass --port <port> (0 for any free one)`, EXIT.failure);
      throw new CliError(err.message, EXIT.failure);
    });
    const stopped = untilStopped();
    out.note(`switchboard console: ${target.description}, on this machine only (Ctrl-C stops). Open:`);
    // The address holds the console's key: it goes to this terminal only, never to a log.
    out.line(server.url);
    const opener = opts.open ? browserOpener(process.platform, process.env) : undefined;
    if (opener) {
      // The opener's command line is visible to other users of this machine: it gets a one-time code, not the key.
      const child = spawn(opener.command, opener.args(server.launchUrl()), { stdio: 'ignore', detached: true });
      child.on('error', () => out.note('could not open a browser: open the address above'));
      child.unref();
    }
    await stopped;
    out.note('switchboard console: stopping');
    await server.close();
  });
}
