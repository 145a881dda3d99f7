import type { CallAction } from '../calls/record';
import { END_CALL_TOOL, TRANSFER_TOOL } from '../calls/session-config';
import type { NumberConfig, NumberTool } from '../numbers/config';
import type { HttpToolResult } from '../tools/http-tool';

/**
 * What the worker says to the model: the tools' `function_call_output` strings and the
 * instructions it sends with `response.create`. Pure, so the wording is tested in one place.
 */

/** The Refer-To URI for a configured transfer target: `+E164` -> `tel:+E164`; `sip:` URIs as written. */
export function referUri(target: string): string {
  return target.startsWith('sip:') ? target : `tel:${target}`;
}

export type TransferPlan = { kind: 'refer'; name: string; uri: string; output: string } | { kind: 'refuse'; output: string };

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
  return { kind: 'refer', name: match.name, uri: referUri(match.target), output: JSON.stringify({ status: 'transferring', target: match.name }) };
}

export type FunctionCallPlan =
  | { kind: 'transfer'; plan: TransferPlan }
  | { kind: 'end-call' }
  | { kind: 'http-tool'; tool: NumberTool }
  | { kind: 'refuse'; output: string };

/** What a function call of the agent's asks for, by the number's config: the one place that tells the tools apart. */
export function planFunctionCall(config: NumberConfig | undefined, name: string, rawArguments: string): FunctionCallPlan {
  if (name === TRANSFER_TOOL) return { kind: 'transfer', plan: planTransfer(config, rawArguments) };
  if (name === END_CALL_TOOL && config?.endCall.enabled) return { kind: 'end-call' };
  // Configs stored before tools existed are read back without the field.
  const tool = (config?.tools ?? []).find((t) => t.name === name);
  if (tool) return { kind: 'http-tool', tool };
  return { kind: 'refuse', output: unknownToolOutput(name) };
}

/** `end_call`'s output: the line is hung up once the agent's goodbye has played, so it should not say more than that. */
export const END_CALL_OUTPUT = JSON.stringify({
  status: 'ending',
  note: 'The line is hung up when you finish speaking. If you have not said goodbye yet, say a short goodbye now; otherwise say nothing.',
});

/** A tool the number does not offer (e.g. `end_call` when disabled). */
export function unknownToolOutput(name: string): string {
  return JSON.stringify({ error: `no tool named ${name}` });
}

/** A tool call a worker before this one sent and never answered (it died or let the call go meanwhile). */
export function interruptedToolOutput(name: string): string {
  return JSON.stringify({
    error: `the ${name} request was interrupted and its answer is lost; it may or may not have gone through, so do not call ${name} again without asking the caller`,
  });
}

/** The tool calls on a call's timeline that no result answers: a worker before this one sent them and never answered. */
export function unansweredToolCalls(actions: readonly CallAction[]): { toolCallId: string; name: string }[] {
  const answered = new Set(actions.filter((a) => a.type === 'tool-result').map((a) => a.toolCallId));
  return actions.filter((a) => a.type === 'tool-call' && !answered.has(a.toolCallId)).map((a) => ({ toolCallId: String(a.toolCallId), name: String(a.name) }));
}

/** A number's HTTP tool on a host without a tool signing secret. */
export function toolsNotSetUpOutput(name: string): string {
  return JSON.stringify({ error: `the ${name} tool is not available right now` });
}

/** Exact words, quoted so the model says them as they are (straight quotes inside would end the quote). */
export function sayExactly(words: string): string {
  return `Say exactly '${words.replace(/'/g, '\u2019')}'`;
}

export const WRAP_UP_INSTRUCTIONS =
  'The time allowed for this call is up. In one short sentence, tell the caller you have to end the call now and say goodbye.';

export function transferFailedNote(name: string): string {
  return `The transfer to ${name} did not go through. Apologise briefly, tell the caller the transfer failed, and offer to help in another way.`;
}

/**
 * The `tool-result` action of an HTTP tool call, as the call's timeline keeps it: the outcome
 * (`not-set-up` when the host runs no tools), status, duration, size, and the answer itself only
 * where the tool says `record: "full"`.
 */
export function toolResultDetails(tool: NumberTool, toolCallId: string, result: HttpToolResult | undefined): Record<string, unknown> {
  return {
    toolCallId,
    name: tool.name,
    outcome: result?.outcome ?? 'not-set-up',
    ...(result?.status !== undefined && { status: result.status }),
    ...(result && { durationMs: result.durationMs }),
    ...(result?.bytes !== undefined && { bytes: result.bytes }),
    ...(result?.truncated && { truncated: true }),
    ...(result?.detail && { detail: result.detail }),
    ...(tool.record === 'full' && result?.body !== undefined && { answer: result.body }),
  };
}
