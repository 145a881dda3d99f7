import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CallRecord } from '../../core/calls/record';
import { parseNumberConfig } from '../../core/numbers/config';
import { SESSION_CAP_MS, SESSION_CAP_SECONDS } from '../../core/openai/limits';
import type { WorkerTimings } from '../../core/worker/call-worker';
import { CallEntriesStore } from '../../core/store/call-entries-store';
import { createDocumentClient } from '../../core/store/dynamodb-client';
import { LOCAL_TABLE_NAMES } from '../../core/store/tables';
import { SCRIPTS, type ConversationScript, type EmulatorOptions } from '../../local/openai-emulator';
import { eventually, startLocalStack, type LocalStack } from '../support/local-stack';

const example = JSON.parse(readFileSync(join(__dirname, '../../examples/support-line.json'), 'utf8'));
const GREETING = example.agent.greeting as string;
const DIALED = '17134810111';
const CALLER = '+14067704205';

const FAST = { heartbeatMs: 200, holdSeconds: 2, transferTimeoutMs: 400, hangupTimeoutMs: 1000, closeGraceMs: 300 };

/**
 * The fast script's first gap is 20 ms, less than a worker on a loaded machine may take to attach
 * and greet: a leading pause keeps the caller from speaking before the greeting.
 */
const afterGreeting = (script: ConversationScript): ConversationScript => [{ pause: 200 }, ...script];

describe('the call worker on the sideband (local stack, dynalite, OpenAI emulator)', () => {
  let local: LocalStack;

  async function start(
    opts: { now?: () => number; capacity?: number; timings?: Partial<WorkerTimings>; emulator?: Partial<EmulatorOptions> } = {},
  ): Promise<void> {
    local = await startLocalStack({
      emulator: opts.emulator,
      stack: { worker: { timings: { ...FAST, ...opts.timings }, now: opts.now, capacity: opts.capacity } },
    });
    await local.stack.numbers.put(parseNumberConfig(example));
  }
  afterEach(() => local.close());

  /** Replaces the number's config with the example changed by `change`. */
  async function configure(change: Record<string, unknown>): Promise<void> {
    await local.stack.numbers.put(parseNumberConfig({ ...example, ...change }), { expectedVersion: 1 });
  }

  async function finished(callId: string, timeoutMs = 10_000): Promise<CallRecord> {
    return eventually(async () => {
      const r = await local.stack.calls.get(callId);
      return r && r.outcome !== 'active' && r.outcome !== 'pending' ? r : undefined;
    }, timeoutMs);
  }

  async function place(script: ConversationScript, callId?: string): Promise<string> {
    return (await local.emulator.placeCall({ callId, dialed: DIALED, caller: CALLER, script })).callId;
  }

  async function callAndWait(script: ConversationScript): Promise<{ callId: string; record: CallRecord }> {
    const callId = await place(script);
    return { callId, record: await finished(callId) };
  }

  const leased = async (callId: string) => (await local.stack.live.get(callId))?.leaseOwner !== undefined;
  /**
   * Another worker takes the call over and holds it for the next minute. A worker may once the
   * lease ran out by its clock, so this one leases the call as of a minute from now, when any
   * lease our worker wrote (holdSeconds long) has run out.
   */
  const anotherWorkerTakes = async (callId: string) => {
    const later = Date.now() + 60_000;
    expect(await local.stack.live.acquireLease(callId, 'other-worker', later, later)).toBeDefined();
  };
  const texts = async (callId: string) => (await local.stack.calls.get(callId))?.transcript.map((t) => t.text) ?? [];
  const clientEvents = (callId: string) => local.emulator.clientEvents(callId) as { type: string; [k: string]: unknown }[];
  const verbs = (callId: string) => local.emulator.received(callId).map((r) => `${r.verb} ${r.status}`);
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  it('greets with the exact words, writes both sides in spoken order, adds up tokens, and records the caller hanging up', async () => {
    await start();
    const { callId, record } = await callAndWait(afterGreeting(SCRIPTS.question));
    expect(clientEvents(callId)[0]).toEqual({ type: 'response.create', response: { instructions: `Say exactly '${GREETING}'` } });
    expect(record.transcript.map((t) => `${t.role}: ${t.text}`)).toEqual([
      `agent: ${GREETING}`,
      'caller: Hi, what time do you open tomorrow?',
      'agent: We open at nine in the morning and close at five.',
      'caller: Great, thank you!',
    ]);
    expect(record.usage.totalTokens).toBeGreaterThan(0);
    expect(record.usage.totalTokens).toBe(record.usage.inputTokens + record.usage.outputTokens);
    // What OpenAI bills by is stored too: the session's tokens by kind, and the caller's transcription.
    const entries = new CallEntriesStore(createDocumentClient({ endpoint: local.stack.dynamodb.endpoint }), LOCAL_TABLE_NAMES.entries);
    const { usage } = await entries.read(callId);
    expect(usage).toMatchObject({ inputTokens: record.usage.inputTokens, outputTokens: record.usage.outputTokens, transcriptionSeconds: expect.any(Number) });
    expect((usage.inputTextTokens ?? 0) + (usage.inputAudioTokens ?? 0)).toBe(usage.inputTokens);
    expect((usage.outputTextTokens ?? 0) + (usage.outputAudioTokens ?? 0)).toBe(usage.outputTokens);
    expect(usage.transcriptionSeconds).toBeGreaterThan(0);
    expect(record).toMatchObject({ outcome: 'completed', reason: 'caller-hung-up', endedAt: expect.any(String), durationSeconds: expect.any(Number) });
    expect(record.actions.map((a) => a.type)).toEqual(['greeting']);
    expect(local.stack.queue.size).toBe(0);
  });

  it('keeps the spoken order of lines whose events arrive within one tick of the clock', async () => {
    // A clock that moves once a second: every event of the call arrives on the same tick, as a
    // re-attached socket's first burst does on any clock.
    await start({ now: () => Math.floor(Date.now() / 1000) * 1000 });
    const { record } = await callAndWait(afterGreeting(SCRIPTS.question));
    expect(record.transcript.map((t) => `${t.role}: ${t.text}`)).toEqual([
      `agent: ${GREETING}`,
      'caller: Hi, what time do you open tomorrow?',
      'agent: We open at nine in the morning and close at five.',
      'caller: Great, thank you!',
    ]);
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

  it.each([
    ['carried out at once but answered after the timeout', { answerAfterMs: 1500 }],
    ['held past the timeout before it is carried out', { delayMs: 1500 }],
  ])('sends a refer that is %s only once, and records the transfer when the call leaves', async (_, fault) => {
    // The local stack's call-control timeout is 1 s; the watchdog waits longer than the slow refer.
    await start({ timings: { transferTimeoutMs: 3000 } });
    local.emulator.failNext('*', 'refer', { ...fault, times: 1 });
    const { callId, record } = await callAndWait(SCRIPTS.transfer);
    expect(record).toMatchObject({ outcome: 'transferred', transferTarget: 'tel:+17135550100' });
    expect(record.actions.map((a) => a.type)).not.toContain('transfer-failed');
    await eventually(() => local.emulator.received(callId).length >= 2, 3000);
    await sleep(300);
    expect(verbs(callId)).toEqual(['accept 200', 'refer 200']);
  });

  it('sends a hangup that lands but answers after the timeout only once, and records the agent ending the call', async () => {
    await start();
    local.emulator.failNext('*', 'hangup', { answerAfterMs: 1500, times: 1 });
    const { callId, record } = await callAndWait(SCRIPTS['agent-ends']);
    expect(record).toMatchObject({ outcome: 'completed', reason: 'agent-hung-up' });
    await eventually(() => local.emulator.received(callId).length >= 2, 3000);
    await sleep(300);
    expect(verbs(callId)).toEqual(['accept 200', 'hangup 200']);
  });

  it('lets the goodbye play out (response done, then its audio stopped) before hanging up when the agent ends the call', async () => {
    // Speech takes 40 ms a word, so the goodbye's audio plays for a while after its response is done.
    const stopped: number[] = [];
    await start({
      emulator: {
        timing: { stepDelayMs: 20, msPerWord: 40 },
        onServerEvent: (_, event) => void (event.type === 'output_audio_buffer.stopped' && stopped.push(Date.now())),
      },
    });
    const { callId, record } = await callAndWait(SCRIPTS['agent-ends']);
    expect(verbs(callId)).toEqual(['accept 200', 'hangup 200']);
    expect(record).toMatchObject({ outcome: 'completed', reason: 'agent-hung-up' });
    expect(record.transcript.map((t) => t.text)).toContain('Thanks for calling, goodbye!');
    const output = clientEvents(callId).find((e) => e.type === 'conversation.item.create') as unknown as { item: { output: string } };
    expect(JSON.parse(output.item.output)).toMatchObject({ status: 'ending' });
    // The hangup follows the goodbye's audio stopping (the last stop), well before the 1 s timeout.
    const hangupAt = local.emulator.received(callId)[1].at;
    const goodbyeStopped = stopped[stopped.length - 1];
    expect(hangupAt).toBeGreaterThanOrEqual(goodbyeStopped);
    expect(hangupAt - goodbyeStopped).toBeLessThan(FAST.hangupTimeoutMs / 2);
    expect(record.actions.map((a) => a.type)).toEqual(['greeting', 'end-call', 'hangup']);
  });

  it('hangs up after the timeout when the goodbye never reports that its audio stopped', async () => {
    await start();
    // No agent turn after the tool call: nothing plays, so nothing stops.
    const { callId, record } = await callAndWait([{ caller: 'Bye.' }, { tool: 'end_call', args: {} }]);
    expect(record).toMatchObject({ outcome: 'completed', reason: 'agent-hung-up' });
    const endCallAt = Date.parse(record.actions.find((a) => a.type === 'end-call')!.at);
    expect(local.emulator.received(callId)[1]).toMatchObject({ verb: 'hangup', status: 200 });
    expect(local.emulator.received(callId)[1].at - endCallAt).toBeGreaterThanOrEqual(FAST.hangupTimeoutMs - 50);
  });

  it('takes a 404 on hangup to mean the caller left first', async () => {
    await start();
    local.emulator.failNext('*', 'hangup', { status: 404, times: 1 });
    const { record } = await callAndWait(SCRIPTS['agent-ends']);
    expect(record).toMatchObject({ outcome: 'completed', reason: 'caller-hung-up' });
  });

  it('keeps everything said before an abrupt hang-up, and not the words cut off', async () => {
    await start();
    const { record } = await callAndWait(afterGreeting([{ caller: 'I have a question about my bill.' }, ...SCRIPTS['hangup-mid-sentence']]));
    expect(record.transcript.map((t) => t.text)).toEqual([GREETING, 'I have a question about my bill.']);
    expect(record).toMatchObject({ outcome: 'completed', reason: 'caller-hung-up' });
  });

  it('re-opens a dropped socket while the call lives, with no lost or doubled entries', async () => {
    await start();
    const { callId, record } = await callAndWait(afterGreeting([{ caller: 'First.' }, { drop: true }, { caller: 'Second.' }, { agent: 'Got both.' }, { hangup: true }]));
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
    // The worker's clock runs 1799.4 s ahead: the number's 1800 s limit comes 0.6 s into the call.
    await start({ now: () => Date.now() + 1_799_400 });
    const { callId, record } = await callAndWait([{ caller: 'Let me tell you a long story.' }]);
    expect(clientEvents(callId)).toContainEqual({ type: 'response.create', response: { instructions: expect.stringContaining('time allowed for this call is up') } });
    expect(verbs(callId)).toEqual(['accept 200', 'hangup 200']);
    expect(record).toMatchObject({ outcome: 'completed', reason: 'max-duration' });
    expect(record.actions.map((a) => a.type)).toEqual(['greeting', 'time-limit', 'hangup']);
  });

  it('records a call that outlives OpenAI\'s 60-minute session cap', async () => {
    // The wrap-up at the longest limit a number may set does not end the call (OpenAI refuses the
    // hangup), so the cap does: the worker's clock starts just under the cap plus its 30 s grace.
    await start({ now: () => Date.now() + SESSION_CAP_MS + 29_500 });
    await configure({ limits: { maxCallSeconds: SESSION_CAP_SECONDS } });
    local.emulator.failNext('*', 'hangup', { status: 500, times: 5 });
    const { record } = await callAndWait([{ caller: 'Still there?' }]);
    expect(record).toMatchObject({ outcome: 'completed', reason: 'session-limit' });
  });

  it('fails a call OpenAI does not know when the worker attaches, with the reason', async () => {
    await start();
    // Accepted as far as the record goes (e.g. a session that failed on a config accept let through), unknown to OpenAI.
    const callId = 'rtc_unknown_to_openai';
    await local.stack.claims.create({ callId, number: '+17134810111', caller: CALLER, startedAt: new Date().toISOString(), webhookId: 'wh_x', outcome: 'active', claimToken: 't', claimUntil: 0 });
    await local.stack.queue.enqueue({ callId, number: '+17134810111' });
    expect(await finished(callId)).toMatchObject({ outcome: 'failed', reason: 'call-not-found', endedAt: expect.any(String) });
    expect(local.stack.queue.size).toBe(0);
  });

  it('fails an unconfirmed accept that OpenAI never took, as such', async () => {
    await start();
    // The accept outlasts the webhook's 1 s OpenAI timeout, so the webhook hands the call over
    // unconfirmed; the caller gives up while it rings, so OpenAI never takes the accept.
    local.emulator.failNext('*', 'accept', { delayMs: 1500 });
    const callId = 'rtc_never_accepted';
    setTimeout(() => local.emulator.endCall(callId), 300);
    await place([], callId);
    const record = await finished(callId);
    expect(local.webhooks[0]).toMatchObject({ result: 'accept-unconfirmed' });
    expect(record).toMatchObject({ outcome: 'failed', reason: 'accept-unconfirmed', endedAt: expect.any(String) });
  });

  it('runs a call with the config it was answered with, even when the number is edited while the call rings', async () => {
    await start();
    // OpenAI takes half a second to answer the accept: the edit lands after the webhook read the
    // config and before the worker takes the call.
    local.emulator.failNext('*', 'accept', { delayMs: 500 });
    const placed = place([{ pause: 200 }, { hangup: true }]);
    await sleep(200);
    await configure({ agent: { ...example.agent, greeting: 'An edited greeting.' } });
    const record = await finished(await placed);
    expect(local.webhooks[0]).toMatchObject({ result: 'accepted' });
    const greeting = clientEvents(record.callId).find((e) => e.type === 'response.create');
    expect(JSON.stringify(greeting)).toContain(GREETING);
    expect(JSON.stringify(greeting)).not.toContain('An edited greeting.');
  });

  it('does not greet when the number has no greeting', async () => {
    await start();
    await configure({ agent: { ...example.agent, greeting: undefined } });
    const { callId, record } = await callAndWait([{ caller: 'Hello?' }, { hangup: true }]);
    expect(clientEvents(callId)).toEqual([]);
    expect(record.transcript.map((t) => t.text)).toEqual(['Hello?']);
    expect(record.actions).toEqual([]);
  });

  it('answers end_call with an error when the number does not allow the agent to hang up', async () => {
    await start();
    await configure({ endCall: { enabled: false } });
    const { callId, record } = await callAndWait([{ tool: 'end_call', args: {} }, { hangup: true }]);
    const output = clientEvents(callId).find((e) => e.type === 'conversation.item.create') as unknown as { item: { output: string } };
    expect(JSON.parse(output.item.output)).toEqual({ error: 'no tool named end_call' });
    expect(verbs(callId)).toEqual(['accept 200']);
    expect(record.actions.map((a) => a.type)).toEqual(['greeting', 'tool-refused']);
  });

  it('keeps the lease and the message while a call outlasts the hold time', async () => {
    await start({ timings: { holdSeconds: 1 } });
    const callId = await place([{ caller: 'A long question.' }, { pause: 1500 }, { hangup: true }]);
    await eventually(() => leased(callId));
    const firstLease = (await local.stack.live.get(callId))!.leaseUntil!;
    await sleep(1000);
    const stored = await local.stack.live.get(callId);
    expect(stored?.leaseUntil).toBeGreaterThan(firstLease);
    expect(stored?.leaseUntil).toBeGreaterThan(Date.now());
    const record = await finished(callId);
    // Held by one worker throughout: never re-delivered, never re-attached.
    expect(record.actions.map((a) => a.type)).toEqual(['greeting']);
    expect(local.stack.queue.size).toBe(0);
  });

  it('takes no more calls than its capacity; the next one waits in the queue', async () => {
    await start({ capacity: 1 });
    const first = await place([{ caller: 'First caller.' }]);
    await eventually(() => leased(first));
    const second = await place([{ caller: 'Second caller.' }, { hangup: true }]);
    await eventually(async () => (await local.stack.calls.get(second))?.outcome === 'active');
    await sleep(300);
    expect(await leased(second)).toBe(false);
    expect(local.stack.worker!.activeCalls).toBe(1);
    expect(local.emulator.call(second)?.sockets).toBe(0);
    local.emulator.endCall(first);
    const record = await finished(second);
    expect(record.outcome).toBe('completed');
    expect(record.transcript.map((t) => t.text)).toContain('Second caller.');
  });

  it('leaves the message of a call another worker holds, and deletes the message of a call that is over', async () => {
    await start({ timings: { holdSeconds: 1 } });
    const live = await place([]);
    const over = await place([{ hangup: true }]);
    await finished(over);
    await eventually(() => leased(live));
    // Another worker owns `live` from now on; ours must let go (heartbeat) and not take it back.
    await anotherWorkerTakes(live);
    await eventually(() => local.stack.worker!.activeCalls === 0);
    await local.stack.queue.enqueue({ callId: over, number: '+17134810111' });
    await eventually(() => local.stack.queue.size === 1);
    // The live call's message stays for its owner; the finished call's copy was deleted.
    await sleep(1300);
    expect(local.stack.queue.size).toBe(1);
    expect((await local.stack.live.get(live))?.leaseOwner).toBe('other-worker');
    expect(verbs(live)).toEqual(['accept 200']);
    local.emulator.endCall(live);
  });

  it('runs no tool once another worker holds the call', async () => {
    // This worker stalls: no heartbeat renews its one-second lease, which runs out, and another
    // worker takes the call over. The tool call that comes next is what finds out.
    await start({ timings: { heartbeatMs: 60_000, holdSeconds: 1 } });
    const callId = await place([{ caller: 'Sales, please.' }, { pause: 1500 }, { tool: 'transfer_call', args: { target: 'sales' } }]);
    await eventually(async () => (await texts(callId)).includes('Sales, please.'));
    await anotherWorkerTakes(callId);
    await eventually(() => local.stack.worker!.activeCalls === 0);
    expect(verbs(callId)).toEqual(['accept 200']);
    expect(clientEvents(callId).filter((e) => e.type === 'conversation.item.create')).toEqual([]);
    expect(await local.stack.live.get(callId)).toMatchObject({ outcome: 'active', leaseOwner: 'other-worker' });
    local.emulator.endCall(callId);
  });

  it('drains: calls that end before the deadline are recorded, the rest are handed back live', async () => {
    await start();
    const ending = await place([{ caller: 'Quick one.' }, { pause: 300 }, { hangup: true }]);
    const staying = await place([{ caller: 'This takes a while.' }]);
    await eventually(async () => (await leased(ending)) && (await leased(staying)));
    const result = await local.stack.worker!.drain(Date.now() + 1500);
    expect(result).toEqual({ ended: 1, handedBack: 1 });
    expect(await local.stack.calls.get(ending)).toMatchObject({ outcome: 'completed', reason: 'caller-hung-up' });
    const handedBack = await local.stack.live.get(staying);
    expect(handedBack).toMatchObject({ outcome: 'active' });
    expect(handedBack?.leaseOwner).toBeUndefined();
    // Not hung up: the socket was closed and the call is live for the next worker, its message visible again.
    expect(verbs(staying)).toEqual(['accept 200']);
    expect(local.emulator.call(staying)).toMatchObject({ state: 'accepted', sockets: 0 });
    const [again] = await local.stack.queue.receive(10, 1);
    expect(again.call.callId).toBe(staying);
    local.emulator.endCall(staying);
  });
});
