import { readFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { join } from 'node:path';
import type { CallRecord } from '../../core/calls/record';
import { parseNumberConfig } from '../../core/numbers/config';
import { lookupSigningSecret } from '../../core/webhook/lookup';
import type { ConversationScript } from '../../local/openai-emulator';
import { runCli } from '../support/cli';
import { startSignedEndpoint } from '../support/signed-endpoint';
import { eventually, startLocalStack, WEBHOOK_SECRET, type LocalStack } from '../support/local-stack';

const example = JSON.parse(readFileSync(join(__dirname, '../../examples/support-line.json'), 'utf8'));
const DIALED = '+17134810111';
const CALLER = '+14067704205';
const SCRIPT: ConversationScript = [{ pause: 100 }, { caller: 'Hi there.' }, { agent: 'Hello!' }, { hangup: true }];

/** The user's CRM: verifies each lookup with the lookup signing secret, answers as told. */
const startCrm = () => startSignedEndpoint(lookupSigningSecret(WEBHOOK_SECRET), '/voice/caller', (res) => res.writeHead(204).end());

const json = (body: unknown) => (res: ServerResponse) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));

describe("a number's lookup before answering (local stack, emulator, a real endpoint)", () => {
  let local: LocalStack;
  let crm: Awaited<ReturnType<typeof startCrm>>;

  beforeEach(async () => {
    crm = await startCrm();
    local = await startLocalStack({ stack: { worker: { timings: { heartbeatMs: 200, holdSeconds: 2 } } } });
    await local.stack.numbers.put(
      parseNumberConfig({
        ...example,
        agent: {
          ...example.agent,
          instructions: 'You are Alex. The caller is {{first_name}} ({{tier}} customer), calling from {{caller}}.',
          greeting: 'Hi {{first_name}}, thanks for calling. How can I help?',
        },
        lookup: { url: crm.url, timeoutMs: 500 },
      }),
    );
  });
  afterEach(async () => {
    await local.close();
    await crm.close();
  });

  async function ended(callId: string): Promise<CallRecord> {
    return eventually(async () => {
      const r = await local.stack.calls.get(callId);
      return r && r.outcome !== 'active' ? r : undefined;
    }, 10_000);
  }
  const greetingSent = (callId: string) =>
    (local.emulator.clientEvents(callId) as { type: string; response?: { instructions?: string } }[]).find((e) => e.type === 'response.create' && e.response?.instructions)?.response?.instructions;

  it('posts the call, signed, and fills its variables into the instructions and the greeting; the record keeps them', async () => {
    crm.answer(json({ variables: { first_name: 'Dana', tier: 'gold', visits: 3 } }));
    const { callId } = await local.emulator.placeCall({ dialed: DIALED, caller: CALLER, script: SCRIPT });
    const record = await ended(callId);

    expect(crm.received).toHaveLength(1);
    const [request] = crm.received;
    const sent = JSON.parse(request.body);
    expect(request.verified).toEqual(sent);
    expect(sent).toEqual({ callId, number: DIALED, caller: CALLER, sipHeaders: local.emulator.call(callId)!.sipHeaders });
    expect(request.headers['webhook-id']).toMatch(/^msg_/);
    expect(local.emulator.call(callId)!.acceptedWith!.instructions).toBe(`You are Alex. The caller is Dana (gold customer), calling from ${CALLER}.`);
    expect(greetingSent(callId)).toBe("Say exactly 'Hi Dana, thanks for calling. How can I help?'");
    expect(record).toMatchObject({
      outcome: 'completed',
      lookup: { status: 'answered', httpStatus: 200, variables: { first_name: 'Dana', tier: 'gold', visits: '3' }, durationMs: expect.any(Number) },
    });
    expect(local.webhooks.at(-1)).toMatchObject({ result: 'accepted', lookup: 'answered' });
    const shown = await runCli(['calls', 'show', callId, '--endpoint', local.stack.dynamodb.endpoint]);
    expect(shown.stdout).toMatch(/\n  lookup answered in \d+ ms: first_name="Dana", tier="gold", visits="3"\n/);
  });

  it('says a greeting of its own when the lookup gives one', async () => {
    crm.answer(json({ greeting: 'Welcome back! Your order shipped this morning.', variables: { first_name: 'Dana' } }));
    const { callId } = await local.emulator.placeCall({ dialed: DIALED, caller: CALLER, script: SCRIPT });
    const record = await ended(callId);
    expect(greetingSent(callId)).toBe("Say exactly 'Welcome back! Your order shipped this morning.'");
    expect(record.lookup).toMatchObject({ status: 'answered', greeting: 'Welcome back! Your order shipped this morning.' });
  });

  it('turns the call away with the SIP code the lookup answers, and records why', async () => {
    crm.answer(json({ reject: 486 }));
    const { callId } = await local.emulator.placeCall({ dialed: DIALED, caller: CALLER });
    const record = await ended(callId);
    expect(local.emulator.call(callId)).toMatchObject({ state: 'rejected', rejectedWith: { status_code: 486 } });
    expect(record).toMatchObject({ outcome: 'rejected', reason: 'lookup-rejected', rejectStatus: 486, lookup: { status: 'rejected', rejectStatus: 486 } });
    const shown = await runCli(['calls', 'show', callId, '--endpoint', local.stack.dynamodb.endpoint]);
    expect(shown.stdout).toContain('outcome rejected (lookup-rejected), SIP 486');
    expect(shown.stdout).toMatch(/lookup turned the call away in \d+ ms \(SIP 486\)/);
  });

  it.each([
    ['a timeout', (res: ServerResponse) => setTimeout(() => json({ variables: { first_name: 'Late' } })(res), 1_500).unref(), /no complete answer within 500 ms/],
    ['a 500', (res: ServerResponse) => res.writeHead(500).end('boom'), /the endpoint answered 500/],
    ['an answer that is not JSON', (res: ServerResponse) => res.writeHead(200).end('<html>'), /not JSON/],
    ['a reject that is not a SIP code', json({ reject: 200 }), /"reject" must be a SIP code from 400 to 699/],
  ])('answers with the stored config after %s, and the record says the lookup failed', async (_, respond, error) => {
    crm.answer(respond);
    const { callId } = await local.emulator.placeCall({ dialed: DIALED, caller: CALLER, script: SCRIPT });
    const record = await ended(callId);
    expect(record).toMatchObject({ outcome: 'completed', lookup: { status: 'failed', error: expect.stringMatching(error) } });
    // Names the lookup did not fill become nothing: the caller never hears braces.
    expect(local.emulator.call(callId)!.acceptedWith!.instructions).toBe(`You are Alex. The caller is  ( customer), calling from ${CALLER}.`);
    expect(greetingSent(callId)).toBe("Say exactly 'Hi , thanks for calling. How can I help?'");
    expect(record.lookup!.durationMs).toBeLessThan(1_500);
  });

  it('answers with the stored config when nothing listens at the lookup url', async () => {
    await crm.close();
    const { callId } = await local.emulator.placeCall({ dialed: DIALED, caller: CALLER, script: SCRIPT });
    const record = await ended(callId);
    expect(record).toMatchObject({ outcome: 'completed', lookup: { status: 'failed', error: expect.stringMatching(/ECONNREFUSED/) } });
  });

  it('is not asked about calls turned away before it could change anything (a blocked caller)', async () => {
    const { callId } = await local.emulator.placeCall({ dialed: DIALED, caller: '+14155550199' });
    const record = await ended(callId);
    expect(record).toMatchObject({ outcome: 'rejected', reason: 'caller-blocked' });
    expect(record.lookup).toBeUndefined();
    expect(crm.received).toHaveLength(0);
  });

  it('turns the call away once, however often the webhook is delivered at the same time', async () => {
    crm.answer(json({ reject: 603 }));
    const { callId } = await local.emulator.placeCall({ dialed: DIALED, caller: CALLER, duplicateDeliveries: 3 });
    const record = await ended(callId);
    expect(record).toMatchObject({ outcome: 'rejected', rejectStatus: 603 });
    expect(local.emulator.call(callId)!.rejectedWith).toEqual({ status_code: 603 });
  });
});
