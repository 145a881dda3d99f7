import type { Command } from 'commander';
import { describeRouting, isRoutedTo, routedProject, sipUriForProject, WavixApiError, WavixClient, type WavixNumber } from '../../core/wavix/wavix-client';
import { CliError, EXIT } from '../errors';
import { json } from '../format';
import type { Output } from '../output';
import { numberArgument } from './numbers';

function client(): WavixClient {
  const key = process.env.WAVIX_API_KEY;
  if (!key) throw new CliError('WAVIX_API_KEY is not set: create an API key in the Wavix portal (Administration > API keys) and export it', EXIT.usage);
  return new WavixClient(key, process.env.WAVIX_API_URL || undefined);
}

async function find(wavix: WavixClient, number: string, out: Output): Promise<WavixNumber> {
  const found = await out.progress(`looking up ${number} in Wavix`, () => wavix.findNumber(number));
  if (!found) throw new CliError(`number ${number} is not in this Wavix account (buy it, or check WAVIX_API_KEY)`, EXIT.notFound);
  return found;
}

/** Wavix's errors as one CLI line; a missing number is "not found", a refused change is "bad input". */
async function withWavix<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof WavixApiError) throw new CliError(err.message, err.status === 404 ? EXIT.notFound : err.status === 422 || err.status === 400 ? EXIT.usage : EXIT.failure);
    throw err;
  }
}

export function registerWavixCommands(program: Command, out: Output): void {
  const wavix = program.command('wavix').description('route Wavix numbers to your OpenAI project (WAVIX_API_KEY; WAVIX_API_URL overrides the API address)');

  wavix
    .command('route <number>')
    .description("point the number's inbound calls at the OpenAI project's SIP URI")
    .requiredOption('--project <proj_id>', 'the OpenAI project id (proj_...)')
    .option('--json', 'print { number, before, after } as JSON')
    .action(async (numberArg: string, opts: { project: string; json?: boolean }) => {
      const number = numberArgument(numberArg);
      const sipUri = withUsage(() => sipUriForProject(opts.project));
      const api = client();
      await withWavix(async () => {
        const before = await find(api, number, out);
        const already = isRoutedTo(before, sipUri);
        const after = already ? before : await out.progress('changing the routing', async () => {
          await api.setSipUriDestination(before.id, sipUri);
          // Read back what Wavix now has, rather than trust what was sent.
          return api.getNumber(before.id);
        });
        if (opts.json) return out.line(json({ number, before: before.destination ?? [], after: after.destination ?? [] }));
        out.line(`${number} (Wavix id ${before.id}${before.label ? `, ${before.label}` : ''})`);
        out.line(`  before: ${describeRouting(before)}`);
        if (already) return out.line(`  already routed to ${sipUri}; nothing changed`);
        out.line(`  after:  ${describeRouting(after)}`);
        if (!isRoutedTo(after, sipUri)) throw new CliError(`Wavix did not keep the new routing; it shows: ${describeRouting(after)}`, EXIT.failure);
      });
    });

  wavix
    .command('status <number>')
    .description("show the number's current routing in Wavix")
    .option('--json', 'print the number as Wavix has it')
    .action(async (numberArg: string, opts: { json?: boolean }) => {
      const number = numberArgument(numberArg);
      const api = client();
      await withWavix(async () => {
        const found = await find(api, number, out);
        if (opts.json) return out.line(json(found));
        const project = routedProject(found);
        out.line(`${number} (Wavix id ${found.id}${found.label ? `, ${found.label}` : ''})`);
        out.line(`  status:   ${found.status ?? 'unknown'}${found.channels !== undefined ? `, ${found.channels} channels` : ''}`);
        out.line(`  routing:  ${describeRouting(found)}`);
        out.line(`  OpenAI:   ${project ? `routed to project ${project}` : 'not routed to an OpenAI project (switchboard wavix route <number> --project <proj_id>)'}`);
      });
    });
}

function withUsage<T>(work: () => T): T {
  try {
    return work();
  } catch (err) {
    if (err instanceof WavixApiError) throw new CliError(err.message, EXIT.usage);
    throw err;
  }
}
