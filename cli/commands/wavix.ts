import type { Command } from 'commander';
import {
  describeRouting,
  InvalidProjectIdError,
  isRoutedTo,
  routedProject,
  OPENAI_SIP_HOSTS,
  sipUriForProject,
  type SipRegion,
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

function regionArgument(value: string): SipRegion {
  if (!Object.hasOwn(OPENAI_SIP_HOSTS, value)) throw new CliError(`--region must be one of ${Object.keys(OPENAI_SIP_HOSTS).join(', ')} (${Object.entries(OPENAI_SIP_HOSTS).map(([r, h]) => `${r}: ${h}`).join(', ')}), not "${value}"`, EXIT.usage);
  return value as SipRegion;
}

function projectSipUri(projectId: string, region: SipRegion): string {
  try {
    return sipUriForProject(projectId, region);
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
    .option('--region <region>', `OpenAI's SIP host: us (${OPENAI_SIP_HOSTS.us}), eu (EU data residency) or in (India)`, regionArgument, 'us' as SipRegion)
    .option('--srtp', 'encrypt the media with SRTP: GPT-Live requires it (a number whose agent has "engine": "live")')
    .option('--json', 'print { number, before, after } (Wavix destinations) as JSON')
    .action(async (numberArg: string, opts: { project: string; region: SipRegion; srtp?: boolean; json?: boolean }) => {
      // Check every argument before the first request, so a typo changes nothing.
      const number = numberArgument(numberArg);
      const sipUri = projectSipUri(opts.project, opts.region);
      const srtp = Boolean(opts.srtp);
      const api = wavixClient();
      await withWavix(async () => {
        const before = await find(api, number, out);
        const already = isRoutedTo(before, sipUri, srtp);
        const after = already
          ? before
          : await out.progress('changing the routing', async () => {
              await api.setSipUriDestination(before.id, sipUri, srtp);
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
        // Whether Wavix's API sets SRTP is not documented for writes: what it reads back decides.
        if (!isRoutedTo(after, sipUri, srtp)) {
          throw new CliError(`Wavix routes ${number} to ${sipUri} but did not turn SRTP on, which GPT-Live requires: enable SRTP for this destination in the Wavix portal (Numbers > ${number} > Inbound destination)`);
        }
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
        const routed = routedProject(found);
        if (opts.json) {
          const { id, label, status, channels, destination } = found;
          return out.line(
            json({ number, id, label: label ?? null, status: status ?? null, channels: channels ?? null, destinations: destination ?? [], openaiProject: routed?.project ?? null, region: routed?.region ?? null, srtp: routed?.srtp ?? null }),
          );
        }
        const fields: [string, string][] = [
          ['id', String(found.id)],
          ['label', found.label || '-'],
          ['status', found.status ?? '-'],
          ['channels', found.channels === undefined ? '-' : String(found.channels)],
          ['routing', describeRouting(found)],
          [
            'OpenAI',
            routed
              ? `routed to project ${routed.project} (${routed.region} host, ${routed.srtp ? 'SRTP media: ready for GPT-Live' : 'media not SRTP: GPT-Live needs --srtp'})`
              : `not routed to an OpenAI project (switchboard wavix route ${number} --project <proj_id>)`,
          ],
        ];
        out.line([number, ...fields.map(([name, value]) => `  ${name.padEnd(9)} ${value}`)].join('\n'));
      });
    });
}
