import type { NumberConfig } from '../numbers/config';

/** The Refer-To URI for a configured transfer target: `+E164` -> `tel:+E164`; `sip:` URIs as written. */
export function referUri(target: string): string {
  return target.startsWith('sip:') ? target : `tel:${target}`;
}

export type TransferPlan = { kind: 'refer'; name: string; uri: string } | { kind: 'refuse'; output: string };

/** What to do with the agent's `transfer_call` arguments: refer to a configured target, or tell it why not. */
export function planTransfer(config: NumberConfig | undefined, rawArguments: string): TransferPlan {
  const names = config?.transfers.map((t) => t.name) ?? [];
  let target: unknown;
  try {
    target = (JSON.parse(rawArguments) as { target?: unknown }).target;
  } catch {
    target = undefined;
  }
  const match = config?.transfers.find((t) => t.name === target);
  if (!match) {
    return {
      kind: 'refuse',
      output: JSON.stringify({ error: `unknown transfer target ${JSON.stringify(target ?? null)}; valid targets: ${names.join(', ') || 'none'}` }),
    };
  }
  return { kind: 'refer', name: match.name, uri: referUri(match.target) };
}

/** Exact words, quoted so the model says them as they are. */
export function sayExactly(words: string): string {
  return `Say exactly '${words.replace(/'/g, "\u2019")}'`;
}

export const WRAP_UP_INSTRUCTIONS =
  'The time allowed for this call is up. In one short sentence, tell the caller you have to end the call now and say goodbye.';

export function transferFailedNote(name: string): string {
  return `The transfer to ${name} did not go through. Apologise briefly, tell the caller the transfer failed, and offer to help in another way.`;
}
