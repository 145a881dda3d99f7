import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CallRecord } from '../../core/calls/record';
import { parseNumberConfig } from '../../core/numbers/config';
import { SCRIPTS, type ConversationScript } from '../../local/openai-emulator';
import { eventually, startLocalStack, type LocalStack } from '../support/local-stack';

const example = JSON.parse(readFileSync(join(__dirname, '../../examples/support-line.json'), 'utf8'));
const GREETING = example.agent.greeting as string;
const DIALED = '17134810111';
const CALLER = '+14067704205';

const FAST = { heartbeatMs: 200, holdSeconds: 2, transferTimeoutMs: 400, hangupTimeoutMs: 1500, closeGraceMs: 300 };

describe('the call worker on the sideband (local stack, dynalite, OpenAI emulator)', () => {
  let local: LocalStack;

  async function start(opts: { now?: () => number } = {}): Promise<void> {
    local = await startLocalStack({ stack: { worker: { timings: FAST, ...opts } } });
    await local.stack.numbers.put(parseNumberConfig(example));
  }
  afterEach(() => local.close());

  async function callAndWait(script: ConversationScript): Promise<{ callId: string; record: CallRecord }> {
    const { callId } = await local.emulator.placeCall({ dialed: DIALED, caller: CALLER, script });
    const record = await eventually(async () => {
      const r = await local.stack.calls.get(callId);
      return r && r.outcome !== 'active' && r.outcome !== 'pending' ? r : undefined;
    }, 10_000);
    return { callId, record };
  }

  const clientEvents = (callId: string) => local.emulator.clientEvents(callId) as { type: string; [k: string]: unknown }[];
  const verbs = (callId: string) => local.emulator.received(callId).map((r) => `${r.verb} ${r.status}`);

  it('greets with the exact words, writes both sides in spoken order, adds up tokens, and records the caller hanging up', async () => {
    await start();
    const { callId, record } = await callAndWait(SCRIPTS.question);
    expect(clientEvents(callId)[0]).toEqual({ type: 'response.create', response: { instructions: `Say exactly '${GREETING}'` } });
    expect(record.transcript.map((t) => `${t.role}: ${t.text}`)).toEqual([
      `agent: ${GREETING}`,
      'caller: Hi, what time do you open tomorrow?',
      'agent: We open at nine in the morning and close at five.',
      'caller: Great, thank you!',
    ]);
    expect(record.usage.totalTokens).toBeGreaterThan(0);
    expect(record.usage.totalTokens).toBe(record.usage.inputTokens + record.usage.outputTokens);
    expect(record).toMatchObject({ outcome: 'completed', reason: 'caller-hung-up', endedAt: expect.any(String), durationSeconds: expect.any(Number) });
    expect(record.actions.map((a) => a.type)).toEqual(['greeting']);
    expect(local.stack.queue.size).toBe(0);
  });

  it('transfers to a configured target with tel: and records the call as transferred', async () => {
    await start();
    const { callId, record } = await callAndWait(SCRIPTS.transfer);
    expect(verbs(callId)).toEqual(['accept 200', 'refer 200']);
    expect(local.emulator.received(callId)[1].body).toEqual({ target_uri: 'tel:+17135550100' });
    expect(record).toMatchObject({ outcome: 'transferred', transferTarget: 'tel:+17135550100' });
    expect(record.actions).toContainEqual(expect.objectContaining({ type: 'transfer', target: 'sales', uri: 'tel:+17135550100' }));
    expect(clientEvents(callId)).toContainEqual({ type: 'conversation.item.create', item: expect.objectContaining({ type: 'function_call_output', output: JSON.stringify({ status: 'transferring', target: 'sales' }) }) });
  });

  it('sends a sip: target as written', async () => {
    await start();
    const { callId, record } = await callAndWait([{ caller: 'Billing please.' }, { tool: 'transfer_call', args: { target: 'billing' } }]);
    expect(local.emulator.received(callId)[1]).toMatchObject({ verb: 'refer', body: { target_uri: 'sip:billing@pbx.example.com' } });
    expect(record.outcome).toBe('transferred');
  });

  it('answers an unknown transfer target with an error output and sends no refer', async () => {
    await start();
    const { callId, record } = await callAndWait([{ caller: 'Get me legal.' }, { tool: 'transfer_call', args: { target: 'legal' } }, { agent: 'Sorry, I cannot transfer you there.' }, { hangup: true }]);
    expect(verbs(callId)).toEqual(['accept 200']);
    const output = clientEvents(callId).find((e) => e.type === 'conversation.item.create') as unknown as { item: { output: string } };
    expect(JSON.parse(output.item.output)).toEqual({ error: 'unknown transfer target "legal"; valid targets: sales, billing' });
    expect(clientEvents(callId).filter((e) => e.type === 'response.create')).toHaveLength(2);
    expect(record.actions.map((a) => a.type)).toEqual(['greeting', 'transfer-refused']);
    expect(record.outcome).toBe('completed');
  });

  it.each([
    ['refer answers 500', { status: 500 }, 'refer-failed-500'],
    ['refer answers 200 but nothing happens', { ignore: true as const }, 'call-did-not-leave'],
  ])('tells the model and records it when %s', async (_, fault, reason) => {
    await start();
    local.emulator.failNext('*', 'refer', { ...fault, times: 1 });
    const { callId, record } = await callAndWait([...SCRIPTS.transfer, { caller: 'Oh well, bye.' }, { hangup: true }]);
    expect(record.actions).toContainEqual(expect.objectContaining({ type: 'transfer-failed', target: 'sales', reason }));
    const note = clientEvents(callId).find((e) => e.type === 'conversation.item.create' && (e.item as { type: string }).type === 'message');
    expect(note).toEqual({ type: 'conversation.item.create', item: { type: 'message', role: 'system', content: [{ type: 'input_text', text: expect.stringContaining('did not go through') }] } });
    expect(record).toMatchObject({ outcome: 'completed', reason: 'caller-hung-up' });
    expect(record.transcript.map((t) => t.text)).toContain('Oh well, bye.');
  });

  it('lets the goodbye play out before hanging up when the agent ends the call', async () => {
    await start();
    const { callId, record } = await callAndWait(SCRIPTS['agent-ends']);
    expect(verbs(callId)).toEqual(['accept 200', 'hangup 200']);
    expect(record).toMatchObject({ outcome: 'completed', reason: 'agent-hung-up' });
    expect(record.transcript.map((t) => t.text)).toContain('Thanks for calling, goodbye!');
    const goodbyeSaidAt = Date.parse(record.transcript.find((t) => t.text === 'Thanks for calling, goodbye!')!.at);
    expect(local.emulator.received(callId)[1].at).toBeGreaterThanOrEqual(goodbyeSaidAt);
    expect(record.actions.map((a) => a.type)).toEqual(['greeting', 'end-call', 'hangup']);
  });

  it('takes a 404 on hangup to mean the caller left first', async () => {
    await start();
    local.emulator.failNext('*', 'hangup', { status: 404, times: 1 });
    const { record } = await callAndWait(SCRIPTS['agent-ends']);
    expect(record).toMatchObject({ outcome: 'completed', reason: 'caller-hung-up' });
  });

  it('keeps everything said before an abrupt hang-up, and not the words cut off', async () => {
    await start();
    const { record } = await callAndWait([{ caller: 'I have a question about my bill.' }, ...SCRIPTS['hangup-mid-sentence']]);
    expect(record.transcript.map((t) => t.text)).toEqual([GREETING, 'I have a question about my bill.']);
    expect(record).toMatchObject({ outcome: 'completed', reason: 'caller-hung-up' });
  });

  it('re-opens a dropped socket while the call lives, with no lost or doubled entries', async () => {
    await start();
    const { callId, record } = await callAndWait([{ caller: 'First.' }, { drop: true }, { caller: 'Second.' }, { agent: 'Got both.' }, { hangup: true }]);
    expect(record.transcript.map((t) => t.text)).toEqual([GREETING, 'First.', 'Second.', 'Got both.']);
    expect(record.actions.map((a) => a.type)).toEqual(['greeting', 'reattached']);
    // The greeting is sent once, not again on the re-opened socket.
    expect(clientEvents(callId).filter((e) => e.type === 'response.create')).toHaveLength(1);
  });

  it('records DTMF keys and error events as actions', async () => {
    await start();
    const { record } = await callAndWait([{ dtmf: '42' }, { error: { type: 'invalid_request_error', code: 'bad_event', message: 'nope' } }, { hangup: true }]);
    expect(record.actions.slice(1)).toEqual([
      expect.objectContaining({ type: 'dtmf', key: '4' }),
      expect.objectContaining({ type: 'dtmf', key: '2' }),
      expect.objectContaining({ type: 'error', code: 'bad_event', message: 'nope' }),
    ]);
  });

  it('wraps up and hangs up at the number\'s maxCallSeconds', async () => {
    // The worker's clock runs 1795 s ahead: the 1800 s limit comes 5 s into the call... minus the test's own pace.
    await start({ now: () => Date.now() + 1_799_400 });
    const { callId, record } = await callAndWait([{ caller: 'Let me tell you a long story.' }]);
    expect(clientEvents(callId)).toContainEqual({ type: 'response.create', response: { instructions: expect.stringContaining('time allowed for this call is up') } });
    expect(verbs(callId)).toEqual(['accept 200', 'hangup 200']);
    expect(record).toMatchObject({ outcome: 'completed', reason: 'max-duration' });
    expect(record.actions.map((a) => a.type)).toEqual(['greeting', 'time-limit', 'hangup']);
  });

  it('records a call that outlives OpenAI\'s 60-minute session cap', async () => {
    // The wrap-up at the 3600 s limit does not end the call (OpenAI refuses the hangup), so the cap does.
    await start({ now: () => Date.now() + 3_629_500 });
    await local.stack.numbers.put(parseNumberConfig({ ...example, limits: { maxCallSeconds: 3600 } }), { expectedVersion: 1 });
    local.emulator.failNext('*', 'hangup', { status: 500, times: 5 });
    const { record } = await callAndWait([{ caller: 'Still there?' }]);
    expect(record).toMatchObject({ outcome: 'completed', reason: 'session-limit' });
  });

  it('fails a call OpenAI does not know when the worker attaches, with the reason', async () => {
    await start();
    const { callId } = await local.emulator.placeCall({ dialed: DIALED, caller: CALLER });
    local.emulator.endCall(callId);
    const record = await eventually(async () => {
      const r = await local.stack.calls.get(callId);
      return r && r.outcome !== 'active' ? r : undefined;
    });
    expect(record).toMatchObject({ outcome: 'failed', reason: 'call-not-found', endedAt: expect.any(String) });
  });

  it('fails an unconfirmed accept that OpenAI never took, as such', async () => {
    await start();
    local.emulator.failNext('*', 'accept', { status: 503, times: 1 });
    // The accept is refused; the webhook then hands the call over as unconfirmed when its retry
    // finds the claim abandoned. Simulate the abandoned claim directly: queue an unconfirmed call.
    const { callId } = await local.emulator.placeCall({ dialed: DIALED, caller: CALLER });
    await eventually(async () => (await local.stack.calls.get(callId))?.outcome === 'active');
    local.emulator.endCall(callId);
    await local.stack.queue.enqueue({ callId: 'rtc_never_accepted', number: '+17134810111', acceptUnconfirmed: true });
    await local.stack.calls.create({ callId: 'rtc_never_accepted', number: '+17134810111', caller: CALLER, startedAt: new Date().toISOString(), webhookId: 'wh_x', outcome: 'active', claimToken: 't', claimUntil: 0 });
    const record = await eventually(async () => {
      const r = await local.stack.calls.get('rtc_never_accepted');
      return r && r.outcome !== 'active' ? r : undefined;
    });
    expect(record).toMatchObject({ outcome: 'failed', reason: 'accept-unconfirmed' });
  });
});
