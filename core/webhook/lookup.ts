import { randomUUID } from 'node:crypto';
import { LOOKUP_ANSWER_MAX_BYTES, MAX_LOOKUP_TIMEOUT_MS, readLookupAnswer, type LookupRecord } from '../calls/lookup';
import type { SipHeader } from '../calls/sip-headers';
import type { NumberLookup } from '../numbers/config';
import { checkEndpointUrl, type AddressPolicy } from '../outbound/address';
import { beforeDeadline, postBy, refusalDetail, refusedLiteral, resolveAll, signedJsonHeaders, type ResolvedAddress } from '../outbound/post';
import type { Log } from '../runtime/log';
import type { SecretProvider } from './secret-provider';
import { deriveSigningSecret } from './signature';

/**
 * Lookups are signed with a secret derived from OpenAI's webhook secret, which the webhook holds
 * already: asking the user's endpoint needs no new permission, and the endpoint, trusted with
 * the derived secret only, cannot forge OpenAI's webhooks. `switchboard secrets get
 * lookup-signing-secret` prints it. A new OpenAI webhook secret makes a new lookup secret.
 */
export function lookupSigningSecret(webhookSecret: string): string {
  return deriveSigningSecret(webhookSecret, 'lookup signing v1');
}

/** What the webhook's host provides, once per host. */
export interface LookupHost {
  /** OpenAI's webhook signing secret, as the webhook verifies with it. */
  webhookSecret: SecretProvider;
  /** Whether lookups may reach this machine without `allowPrivateNetwork`: true for `switchboard dev`, false in AWS. */
  allowLoopback: boolean;
  resolve?: (hostname: string) => Promise<ResolvedAddress[]>;
  log?: Log;
}

export interface LookupRequest {
  callId: string;
  number: string;
  caller: string;
  sipHeaders: readonly SipHeader[];
}

/**
 * Asks the number's lookup about an incoming call: POSTs `{ callId, number, caller, sipHeaders }`
 * signed with Standard Webhooks headers, and reads the answer (core/calls/lookup.ts). Never
 * throws and never takes longer than the lookup's timeoutMs: whatever goes wrong is a `failed`
 * record, and the call is answered with the stored config. Retried once only when the request
 * never left (connection refused), as tool calls are.
 */
export async function runLookup(lookup: NumberLookup, request: LookupRequest, host: LookupHost): Promise<LookupRecord> {
  const startedAt = Date.now();
  const timeoutMs = Math.min(lookup.timeoutMs, MAX_LOOKUP_TIMEOUT_MS);
  const deadline = startedAt + timeoutMs;
  const done = (record: LookupRecord): LookupRecord => {
    const fields = { callId: request.callId, number: request.number, ...record, variables: undefined, greeting: undefined };
    if (record.status === 'failed') host.log?.warn('lookup failed: answering with the stored config', fields);
    else host.log?.info('lookup answered', fields);
    return record;
  };
  const failed = (error: string, httpStatus?: number) =>
    done({ status: 'failed', durationMs: Date.now() - startedAt, error, ...(httpStatus !== undefined && { httpStatus }) });

  const checked = checkEndpointUrl(lookup.url, 'the lookup url');
  if (!checked.ok) return failed(checked.problem);
  const { url } = checked;
  const policy: AddressPolicy = { allowLoopback: host.allowLoopback, allowPrivateNetwork: lookup.allowPrivateNetwork };
  const refused = refusedLiteral(url, policy, 'lookup');
  if (refused) return failed(refused);

  const secret = await beforeDeadline(host.webhookSecret.get().then((value) => ({ ok: true as const, value }), (error: Error) => ({ ok: false as const, error })), deadline);
  if (!secret) return failed(`the webhook secret was not read within ${timeoutMs} ms; nothing was sent`);
  if (!secret.ok) return failed(`the webhook secret could not be read (${secret.error.message}); nothing was sent`);
  let signingSecret: string;
  try {
    signingSecret = lookupSigningSecret(secret.value);
  } catch (error) {
    return failed(`the lookup could not be signed: ${(error as Error).message}; nothing was sent`);
  }

  const body = JSON.stringify({ callId: request.callId, number: request.number, caller: request.caller, sipHeaders: request.sipHeaders });
  // A lookup is a question, not an event: each one is a message of its own.
  const id = `msg_${randomUUID().replace(/-/g, '')}`;
  const headers = { accept: 'application/json', ...signedJsonHeaders(signingSecret, id, Math.floor(Date.now() / 1000), body) };
  const send = { url, headers, body, policy, resolve: host.resolve ?? resolveAll, maxBytes: LOOKUP_ANSWER_MAX_BYTES };
  const { sent } = await postBy(send, deadline);

  switch (sent.kind) {
    case 'timeout':
      return failed(`no complete answer within ${timeoutMs} ms`, sent.status);
    case 'refused':
      return failed(refusalDetail(url, sent.address, sent.cls, 'lookup'));
    case 'failed':
      return failed(`${sent.code}: ${sent.message}`);
    case 'too-large':
      return failed(`the answer is over ${LOOKUP_ANSWER_MAX_BYTES} bytes`, sent.status);
    case 'answered': {
      if (sent.status >= 300 && sent.status < 400) return failed(`the endpoint answered ${sent.status}; redirects are not followed`, sent.status);
      if (sent.status < 200 || sent.status >= 300) return failed(`the endpoint answered ${sent.status}`, sent.status);
      const answer = readLookupAnswer(sent.text);
      const durationMs = Date.now() - startedAt;
      if (answer.kind === 'invalid') return failed(answer.problem, sent.status);
      if (answer.kind === 'reject') return done({ status: 'rejected', durationMs, httpStatus: sent.status, rejectStatus: answer.status });
      return done({ status: 'answered', durationMs, httpStatus: sent.status, ...(answer.variables && { variables: answer.variables }), ...(answer.greeting !== undefined && { greeting: answer.greeting }) });
    }
  }
}
