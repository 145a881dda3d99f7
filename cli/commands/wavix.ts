import type { Command } from 'commander';
import {
  describeRouting,
  InvalidProjectIdError,
  isRoutedTo,
  routedProject,
  sipUriForProject,
  WavixApiError,
  WavixClient,
  type WavixNumber,
} from '../../core/wavix/wavix-client';
import { CliError, EXIT } from '../errors';
import { json } from '../format';
import type { Output } from '../output';
import { numberArgument } from './numbers';

/** The client for WAVIX_API_KEY (at WAVIX_API_URL when set); `access` names the key scope the command needs, e.g. `calls read`. */
export function wavixClient(access?: string): WavixClient {
  const key = process.env.WAVIX_API_KEY;
  if (!key) throw new CliError(`WAVIX_API_KEY is not set: create an API key in the Wavix portal (Administration > API keys)${access ? ` with ${access} access` : ''} and export it`, EXIT.usage);
  return new WavixClient(key, process.env.WAVIX_API_URL || undefined);
}

function projectSipUri(projectId: string): string {
  try {
    return sipUriForProject(projectId);
  } catch (err) {
    if (err instanceof InvalidProjectIdError) throw new CliError(err.message, EXIT.usage);
    throw err;
  }
}

/** Wavix's errors as one CLI line: an unknown number is "not found", a refused change is "bad input" (nothing changed). */
export async function withWavix<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (!(err instanceof WavixApiError)) throw err;
    const code = err.status === 404 ? EXIT.notFound : err.status === 400 || err.status === 422 ? EXIT.usage : EXIT.failure;
    throw new CliError(err.message, code);
  }
}

async function find(wavix: WavixClient, number: string, out: Output): Promise<WavixNumber> {
  const found = await out.progress(`looking up ${number} in Wavix`, () => wavix.findNumber(number));
  if (!found) throw new CliError(`number ${number} is not in this Wavix account (buy it in the Wavix portal, or check WAVIX_API_KEY is this account's key)`, EXIT.notFound);
  return found;
}

function heading(number: string, found: WavixNumber): string {
  return `${number} (Wavix id ${found.id}${found.label ? `, ${found.label}` : ''})`;
}

export function registerWavixCommands(program: Command, out: Output): void {
  const wavix = program.command('wavix').description('route Wavix numbers to your OpenAI project (WAVIX_API_KEY; WAVIX_API_URL overrides the API address)');

  wavix
    .command('route <number>')
    .description("send the number's inbound calls to the OpenAI project's SIP URI, printing the routing before and after")
    .requiredOption('--project <proj_id>', 'the OpenAI project id (proj_..., Settings > Project > General)')
    .option('--json', 'print { number, before, after } (Wavix destinations) as JSON')
    .action(async (numberArg: string, opts: { project: string; json?: boolean }) => {
      // Check every argument before the first request, so a typo changes nothing.
      const number = numberArgument(numberArg);
      const sipUri = projectSipUri(opts.project);
      const api = wavixClient();
      await withWavix(async () => {
        const before = await find(api, number, out);
        const already = isRoutedTo(before, sipUri);
        const after = already
          ? before
          : await out.progress('changing the routing', async () => {
              await api.setSipUriDestination(before.id, sipUri);
              // Show what Wavix now has, not what was sent.
              return api.getNumber(before.id);
            });
        if (opts.json) out.line(json({ number, before: before.destination ?? [], after: after.destination ?? [] }));
        else {
          out.line(heading(number, before));
          out.line(`  before: ${describeRouting(before)}`);
          out.line(already ? `  already routed to ${sipUri}; nothing changed` : `  after:  ${describeRouting(after)}`);
        }
        if (!isRoutedTo(after, sipUri)) throw new CliError(`Wavix did not keep the new routing of ${number}; it shows: ${describeRouting(after)}`);
      });
    });

  wavix
    .command('status <number>')
    .description("show the number in Wavix: id, label, status, channels, routing, and whether it reaches an OpenAI project")
    .option('--json', 'print { number, id, label, status, channels, destinations, openaiProject } as JSON')
    .action(async (numberArg: string, opts: { json?: boolean }) => {
      const number = numberArgument(numberArg);
      const api = wavixClient();
      await withWavix(async () => {
        const found = await find(api, number, out);
        const project = routedProject(found);
        if (opts.json) {
          const { id, label, status, channels, destination } = found;
          return out.line(json({ number, id, label: label ?? null, status: status ?? null, channels: channels ?? null, destinations: destination ?? [], openaiProject: project ?? null }));
        }
        const fields: [string, string][] = [
          ['id', String(found.id)],
          ['label', found.label || '-'],
          ['status', found.status ?? '-'],
          ['channels', found.channels === undefined ? '-' : String(found.channels)],
          ['routing', describeRouting(found)],
          ['OpenAI', project ? `routed to project ${project}` : `not routed to an OpenAI project (switchboard wavix route ${number} --project <proj_id>)`],
        ];
        out.line([number, ...fields.map(([name, value]) => `  ${name.padEnd(9)} ${value}`)].join('\n'));
      });
    });
}
