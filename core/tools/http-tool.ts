import * as http from 'node:http';
import { rootCertificates } from 'node:tls';
import type { Log } from '../runtime/log';
import { WebhookSecretFormatError } from '../webhook/signature';
import { DEFAULT_TOOL_TIMEOUT_MS, MAX_TOOL_TIMEOUT_MS, TOOL_ANSWER_MAX_BYTES } from './limits';
import { checkEndpointUrl, type AddressPolicy } from '../outbound/address';
import { beforeDeadline, postBy, refusalDetail, refusedLiteral, resolveAll, signedJsonHeaders, type ResolvedAddress } from '../outbound/post';
import { recordedArguments, redactArguments } from './redact';
import { fillSecretHeaders, withoutSecrets, type ReadSecret } from './secret-headers';
import { answerOutput, toolFailureOutput, type HttpToolFailure, type HttpToolOutcome } from './tool-output';

/**
 * Runs one HTTP tool call for the worker: the model called a tool of the number's config, and
 * the user's endpoint answers it. POSTs the call and the model's arguments, signed with Standard
 * Webhooks headers, to the tool's url, and turns whatever happens into a `function_call_output`
 * the agent can say and a result for the call's timeline. It never throws and never takes longer
 * than the tool's timeoutMs: a failing endpoint is words and data, not a hung call.
 */

export type { HttpToolOutcome } from './tool-output';
export type { ResolvedAddress } from '../outbound/post';

/** The part of a number config's tool that the request needs (the session uses the rest). */
export interface HttpToolConfig {
  name: string;
  url: string;
  /** Values may hold `{{secret:NAME}}`. */
  headers?: Record<string, string>;
  /** Default DEFAULT_TOOL_TIMEOUT_MS, at most MAX_TOOL_TIMEOUT_MS. */
  timeoutMs?: number;
  /** The tool lives on a private network or this machine on purpose (see classAllowed). */
  allowPrivateNetwork?: boolean;
  /** Argument (and recorded answer) fields replaced by "[redacted]" in what is returned and recorded. */
  redact?: string[];
  /** "full": the result carries the answer's text as `body`, for the call's record. */
  record?: 'full';
}

export interface HttpToolCall {
  tool: HttpToolConfig;
  /** The function call's `call_id` from OpenAI: the request's webhook-id, so a receiver can drop a repeat. */
  toolCallId: string;
  /** The model's arguments, the JSON text it sent. */
  rawArguments: string;
  call: { callId: string; number: string; caller: string; label?: string };
}

/** What the host provides; built once per worker. */
export interface HttpToolHost {
  /**
   * The tool signing secret, `whsec_` + base64: its own secret, never OpenAI's webhook secret. A
   * function is asked on every tool call (the host caches it, so a rotated secret is picked up);
   * reading it counts in the tool's timeout, and a failed read stops the call.
   */
  signingSecret: string | (() => Promise<string>);
  /** Fills `{{secret:NAME}}` in headers. */
  secret: ReadSecret;
  /** Whether tools may reach this machine without `allowPrivateNetwork`: true for `switchboard dev`, false in AWS. */
  allowLoopback: boolean;
  /** DNS; default node's dns.lookup (all addresses). Every address it gives is checked before any is connected to. */
  resolve?: (hostname: string) => Promise<ResolvedAddress[]>;
  /** Certificate authorities to trust besides the public ones (PEM), e.g. a private network's. */
  ca?: string | string[];
  log?: Log;
}

export interface HttpToolResult {
  /** The `function_call_output` to send the model. */
  output: string;
  outcome: HttpToolOutcome;
  /** The endpoint's HTTP status, when it answered. */
  status?: number;
  durationMs: number;
  /** Requests started: 2 when the first never left (connection refused) and was retried. 0 when none was. */
  attempts: number;
  /** Bytes of the answer read (up to TOOL_ANSWER_MAX_BYTES). */
  bytes?: number;
  /** The answer was longer than the model is given, and the output says so. */
  truncated?: boolean;
  /** The answer's text, with `redact` fields replaced when it is JSON; only for `record: "full"`. */
  body?: string;
  /** The model's arguments with `redact` fields replaced (the text itself when it is not JSON). */
  arguments: unknown;
  /** What went wrong, for the timeline and the log: addresses, statuses, error codes, secret names; never a secret's value. */
  detail?: string;
}

/** Switchboard's headers win over a tool's headers of the same name: the signature covers what it says it covers. */
const OWN_HEADERS = ['content-type', 'content-length', 'transfer-encoding', 'connection', 'user-agent', 'webhook-id', 'webhook-timestamp', 'webhook-signature'];

export function toolTimeoutMs(tool: HttpToolConfig): number {
  return Math.min(Math.max(tool.timeoutMs ?? DEFAULT_TOOL_TIMEOUT_MS, 1), MAX_TOOL_TIMEOUT_MS);
}

export async function runHttpTool(request: HttpToolCall, host: HttpToolHost): Promise<HttpToolResult> {
  const { tool } = request;
  const startedAt = Date.now();
  const timeoutMs = toolTimeoutMs(tool);
  const redact = tool.redact ?? [];
  let args: unknown;
  let argumentsAreJson = true;
  try {
    args = request.rawArguments.trim() === '' ? {} : JSON.parse(request.rawArguments);
  } catch {
    args = request.rawArguments;
    argumentsAreJson = false;
  }
  let secretValues: string[] = [];

  const finish = (result: Omit<HttpToolResult, 'durationMs' | 'arguments'>): HttpToolResult => {
    const scrub = (text: string | undefined) => (text === undefined ? undefined : withoutSecrets(text, secretValues));
    const done: HttpToolResult = {
      ...result,
      output: scrub(result.output)!,
      ...(result.body !== undefined && { body: scrub(result.body) }),
      ...(result.detail !== undefined && { detail: scrub(result.detail) }),
      durationMs: Date.now() - startedAt,
      arguments: recordedArguments(request.rawArguments, redact),
    };
    const fields = {
      tool: tool.name,
      toolCallId: request.toolCallId,
      callId: request.call.callId,
      outcome: done.outcome,
      status: done.status,
      durationMs: done.durationMs,
      attempts: done.attempts,
      bytes: done.bytes,
      truncated: done.truncated,
      detail: done.detail,
    };
    if (done.outcome === 'ok') host.log?.info('tool call answered', fields);
    else host.log?.warn('tool call failed', fields);
    return done;
  };
  const fail = (outcome: HttpToolFailure, detail: string, extra: Partial<HttpToolResult> = {}) =>
    finish({ output: toolFailureOutput(tool.name, outcome), outcome, attempts: 0, detail, ...extra });

  if (!argumentsAreJson) return fail('bad-arguments', 'the model sent arguments that are not JSON; it was asked to call again');

  // Checked at call time too: a config stored before a rule existed still meets it.
  const checked = checkEndpointUrl(tool.url, 'the tool url');
  if (!checked.ok) return fail('bad-url', checked.problem);
  const url = checked.url;
  const policy: AddressPolicy = { allowLoopback: host.allowLoopback, allowPrivateNetwork: tool.allowPrivateNetwork ?? false };
  const refused = refusedLiteral(url, policy, 'tool');
  if (refused) return fail('refused-address', refused);

  const deadline = startedAt + timeoutMs;
  // The secrets come within the timeout too: a slow secret store must not hold the caller longer.
  const filled = await beforeDeadline(fillSecretHeaders(tool.headers ?? {}, host.secret), deadline);
  if (!filled) return fail('timeout', `the tool's secrets were not read within ${timeoutMs} ms; nothing was sent`);
  if (!filled.ok) return fail('secret-missing', filled.detail);
  secretValues = filled.secretValues;
  const badHeader = invalidHeader(filled.headers);
  if (badHeader) return fail('bad-header', `header "${badHeader}" has a character no HTTP header may carry (a line break?); check it and any secret it holds`);

  const body = toolRequestBody(request, args);
  const signingSecret = await beforeDeadline(readSigningSecret(host.signingSecret), deadline);
  if (!signingSecret) return fail('timeout', `the tool signing secret was not read within ${timeoutMs} ms; nothing was sent`);
  if (!signingSecret.ok) return fail('bad-signing-secret', `the tool signing secret could not be read (${signingSecret.problem}); nothing was sent`);
  let signed: Record<string, string>;
  try {
    signed = signedJsonHeaders(signingSecret.value, request.toolCallId, Math.floor(Date.now() / 1000), body);
  } catch (error) {
    if (!(error instanceof WebhookSecretFormatError)) throw error;
    return fail('bad-signing-secret', 'the tool signing secret must be "whsec_" followed by base64; nothing was sent');
  }
  const headers: Record<string, string> = {
    accept: 'application/json, text/plain;q=0.9, */*;q=0.5',
    ...Object.fromEntries(Object.entries(filled.headers).filter(([name]) => !OWN_HEADERS.includes(name.toLowerCase()))),
    ...signed,
  };

  // node's `ca` replaces the public authorities rather than adding to them: add them back.
  const ca = host.ca === undefined ? undefined : [...rootCertificates, ...[host.ca].flat()];
  const send = { url, headers, body, policy, resolve: host.resolve ?? resolveAll, ca, maxBytes: TOOL_ANSWER_MAX_BYTES };
  const { sent, attempts } = await postBy(send, deadline);

  const recorded = (text: string) => (tool.record === 'full' ? { body: recordedBody(text, redact) } : {});
  switch (sent.kind) {
    case 'timeout':
      return fail('timeout', `no complete answer within ${timeoutMs} ms`, { attempts, ...(sent.status !== undefined && { status: sent.status }) });
    case 'refused':
      return fail('refused-address', refusalDetail(url, sent.address, sent.cls, 'tool'), { attempts });
    case 'failed':
      return fail('unreachable', `${sent.code}: ${sent.message}${attempts === 2 ? ' (tried twice)' : ''}`, { attempts });
    case 'too-large':
      return fail('too-large', `the answer is over ${TOOL_ANSWER_MAX_BYTES} bytes; reading stopped there`, { attempts, status: sent.status, bytes: sent.bytes });
    case 'answered': {
      const text = withoutSecrets(sent.text, secretValues);
      const answered = { attempts, status: sent.status, bytes: sent.bytes, ...recorded(text) };
      if (sent.status >= 300 && sent.status < 400) {
        const location = sent.location ? ` to ${sent.location}` : '';
        return fail('redirected', `the endpoint answered ${sent.status}${location}; redirects are not followed: put the final URL in the tool's config`, answered);
      }
      if (sent.status < 200 || sent.status >= 300) return fail('http-error', `the endpoint answered ${sent.status}`, answered);
      const { output, truncated } = answerOutput(tool.name, text);
      return finish({ output, outcome: 'ok', ...answered, truncated });
    }
  }
}

/** The JSON a tool's endpoint receives: the call, the tool, the model's arguments (parsed) and the tool call's id. */
export function toolRequestBody(request: HttpToolCall, args: unknown): string {
  return JSON.stringify({
    call: { callId: request.call.callId, number: request.call.number, caller: request.call.caller, label: request.call.label ?? null },
    tool: request.tool.name,
    arguments: args,
    toolCallId: request.toolCallId,
  });
}

/** The first header whose name or value HTTP cannot carry. Checked before sending, as node would refuse it while sending. */
function invalidHeader(headers: Record<string, string>): string | undefined {
  return Object.entries(headers).find(([name, value]) => {
    try {
      http.validateHeaderName(name);
      http.validateHeaderValue(name, value);
      return false;
    } catch {
      return true;
    }
  })?.[0];
}

/** The host's signing secret, or why it could not be read (its error's message, which never holds the value). */
async function readSigningSecret(secret: HttpToolHost['signingSecret']): Promise<{ ok: true; value: string } | { ok: false; problem: string }> {
  if (typeof secret === 'string') return { ok: true, value: secret };
  try {
    return { ok: true, value: await secret() };
  } catch (error) {
    return { ok: false, problem: (error as Error).message ?? String(error) };
  }
}

/** The recorded answer: JSON with the `redact` fields replaced; other text as it came. */
function recordedBody(text: string, redact: readonly string[]): string {
  if (redact.length === 0) return text;
  try {
    return JSON.stringify(redactArguments(JSON.parse(text), redact));
  } catch {
    return text;
  }
}
