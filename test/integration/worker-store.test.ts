import { CallsStore } from '../../core/store/calls-store';
import { createDocumentClient, createDynamoDBClient } from '../../core/store/dynamodb-client';
import { LiveCallStore } from '../../core/store/live-call-store';
import { LOCAL_TABLE_NAMES } from '../../core/store/tables';
import { ensureTables, startLocalDynamoDB, type LocalDynamoDB } from '../../local/dynamodb';

/** What the call worker writes on a live call's record, against a real DynamoDB API (dynalite). */
describe('LiveCallStore (dynalite)', () => {
  let dynamodb: LocalDynamoDB;
  let calls: CallsStore;
  let live: LiveCallStore;
  let n = 0;
  const NOW = 1_800_000_000_000;

  beforeAll(async () => {
    dynamodb = await startLocalDynamoDB();
    await ensureTables(createDynamoDBClient({ endpoint: dynamodb.endpoint }), LOCAL_TABLE_NAMES);
    const db = createDocumentClient({ endpoint: dynamodb.endpoint });
    calls = new CallsStore(db, LOCAL_TABLE_NAMES.calls, 90);
    live = new LiveCallStore(db, LOCAL_TABLE_NAMES.calls);
  });
  afterAll(() => dynamodb.close());

  /** A call as the webhook leaves it once accepted. */
  async function activeCall(outcome: 'active' | 'completed' = 'active'): Promise<string> {
    const callId = `rtc_store_${++n}`;
    await calls.create({
      callId,
      number: '+17134810111',
      caller: '+14067704205',
      startedAt: new Date(NOW).toISOString(),
      webhookId: 'wh_1',
      outcome,
      liveNumber: outcome === 'active' ? '+17134810111' : undefined,
      claimToken: 't',
      claimUntil: 0,
    });
    return callId;
  }

  describe('the lease', () => {
    it.each([
      ['nobody holds it', true, undefined],
      ['the holder\'s lease ran out', true, { owner: 'w2', until: NOW - 1 }],
      ['this worker holds it already', true, { owner: 'w1', until: NOW + 60_000 }],
      ['another worker holds it', false, { owner: 'w2', until: NOW + 60_000 }],
    ])('when %s: had = %s', async (_, had, holder) => {
      const callId = await activeCall();
      if (holder) await live.acquireLease(callId, holder.owner, holder.until, NOW - 120_000);
      const leased = await live.acquireLease(callId, 'w1', NOW + 90_000, NOW);
      expect(leased !== undefined).toBe(had);
      if (leased) expect(leased).toMatchObject({ callId, leaseOwner: 'w1', leaseUntil: NOW + 90_000, outcome: 'active' });
      expect((await live.get(callId))?.leaseOwner).toBe(had ? 'w1' : 'w2');
    });

    it('is not had on a call that is over, nor on one that does not exist', async () => {
      expect(await live.acquireLease(await activeCall('completed'), 'w1', NOW + 90_000, NOW)).toBeUndefined();
      expect(await live.acquireLease('rtc_never', 'w1', NOW + 90_000, NOW)).toBeUndefined();
      expect(await live.get('rtc_never')).toBeUndefined();
    });

    it('is renewed only by its holder, and released only by its holder', async () => {
      const callId = await activeCall();
      await live.acquireLease(callId, 'w1', NOW + 1000, NOW);
      expect(await live.renewLease(callId, 'w1', NOW + 5000)).toBe(true);
      expect(await live.renewLease(callId, 'w2', NOW + 9000)).toBe(false);
      expect((await live.get(callId))?.leaseUntil).toBe(NOW + 5000);
      await live.releaseLease(callId, 'w2');
      expect((await live.get(callId))?.leaseOwner).toBe('w1');
      await live.releaseLease(callId, 'w1');
      expect(await live.get(callId)).not.toHaveProperty('leaseOwner');
      // Released: another worker has it at once, without waiting for the expiry.
      expect(await live.acquireLease(callId, 'w2', NOW + 5000, NOW)).toBeDefined();
    });
  });

  const nothingElse = { transcript: [], actions: [] };

  it('stores each transcript entry once, however often and however concurrently it is delivered', async () => {
    const callId = await activeCall();
    const entry = { role: 'caller' as const, text: 'Hello?', at: new Date(NOW).toISOString(), id: 'item_1' };
    const results = await Promise.all([1, 2, 3, 4].map(() => live.append(callId, { ...nothingElse, transcript: [entry] })));
    expect(results.flat()).toEqual([entry]);
    expect(await live.append(callId, { ...nothingElse, transcript: [entry] })).toEqual([]);
    const second = { ...entry, id: 'item_2', text: 'Anyone?' };
    expect(await live.append(callId, { ...nothingElse, transcript: [second] })).toEqual([second]);
    expect((await calls.get(callId))?.transcript.map((t) => t.id)).toEqual(['item_1', 'item_2']);
  });

  it('stores the new entries of a write that repeats some, with its actions and usage, once', async () => {
    const callId = await activeCall();
    const at = new Date(NOW).toISOString();
    const [a, b, c] = ['item_a', 'item_b', 'item_c'].map((id) => ({ role: 'agent' as const, text: id, at, id }));
    await live.append(callId, { transcript: [a, b], actions: [], usage: { inputTokens: 1, outputTokens: 1, totalTokens: 2 } });
    const stored = await live.append(callId, { transcript: [b, a, c], actions: [{ type: 'dtmf', at, key: '1' }], usage: { inputTokens: 2, outputTokens: 3, totalTokens: 5 } });
    expect(stored).toEqual([c]);
    const record = await calls.get(callId);
    expect(record?.transcript.map((t) => t.id)).toEqual(['item_a', 'item_b', 'item_c']);
    expect(record?.actions.map((x) => x.type)).toEqual(['dtmf']);
    expect(record?.usage).toEqual({ inputTokens: 3, outputTokens: 4, totalTokens: 7 });
  });

  it('appends actions in order and adds up token usage', async () => {
    const callId = await activeCall();
    await live.append(callId, { ...nothingElse, actions: [{ type: 'greeting', at: new Date(NOW).toISOString() }] });
    await live.append(callId, { transcript: [], actions: [{ type: 'dtmf', at: new Date(NOW + 1).toISOString(), key: '5' }], usage: { inputTokens: 10, outputTokens: 5, totalTokens: 15 } });
    await live.append(callId, { ...nothingElse, usage: { inputTokens: 1, outputTokens: 2, totalTokens: 3 } });
    const record = await calls.get(callId);
    expect(record?.actions.map((a) => a.type)).toEqual(['greeting', 'dtmf']);
    expect(record?.usage).toEqual({ inputTokens: 11, outputTokens: 7, totalTokens: 18 });
  });

  it('writes nothing on a call that has no record', async () => {
    await expect(live.append('rtc_none', { ...nothingElse, actions: [{ type: 'greeting', at: '' }] })).rejects.toThrow();
    await expect(live.append('rtc_none', { ...nothingElse, usage: { inputTokens: 1, outputTokens: 1, totalTokens: 2 } })).rejects.toThrow();
    await expect(live.append('rtc_none', { ...nothingElse, transcript: [{ role: 'agent', text: 'x', at: '', id: 'i' }] })).rejects.toThrow('has no record');
    expect(await live.get('rtc_none')).toBeUndefined();
  });

  it('finishes a call once: it leaves the live index and its lease, and a late worker cannot finish it again', async () => {
    const callId = await activeCall();
    await live.acquireLease(callId, 'w1', NOW + 90_000, NOW);
    const ending = { outcome: 'transferred' as const, transferTarget: 'tel:+17135550100', endedAt: new Date(NOW + 42_000).toISOString(), durationSeconds: 42 };
    expect(await live.finish(callId, ending)).toBe(true);
    expect(await live.finish(callId, { outcome: 'completed', reason: 'caller-hung-up', endedAt: new Date(NOW + 50_000).toISOString(), durationSeconds: 50 })).toBe(false);
    const stored = await live.get(callId);
    expect(stored).toMatchObject({ outcome: 'transferred', transferTarget: 'tel:+17135550100', durationSeconds: 42 });
    expect(stored).not.toHaveProperty('liveNumber');
    expect(stored).not.toHaveProperty('leaseOwner');
    expect(stored).not.toHaveProperty('leaseUntil');
  });
});
