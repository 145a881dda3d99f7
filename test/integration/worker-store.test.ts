import { DeleteCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DEFAULT_CALL_RETENTION_DAYS } from '../../core/runtime/contract';
import { CallClaimsStore } from '../../core/store/call-claims-store';
import { actionItem, CallEntriesStore, transcriptItem, usageItem } from '../../core/store/call-entries-store';
import { CallHistoryStore } from '../../core/store/call-history-store';
import { createDocumentClient, createDynamoDBClient } from '../../core/store/dynamodb-client';
import { LiveCallStore } from '../../core/store/live-call-store';
import { LOCAL_TABLE_NAMES } from '../../core/store/tables';
import { ensureTables, startLocalDynamoDB, type LocalDynamoDB } from '../../local/dynamodb';

/** What the call worker writes on a live call's record and entries, against a real DynamoDB API (dynalite). */
describe('LiveCallStore (dynalite)', () => {
  let dynamodb: LocalDynamoDB;
  let claims: CallClaimsStore;
  let history: CallHistoryStore;
  let live: LiveCallStore;
  let db: DynamoDBDocumentClient;
  let n = 0;
  const NOW = 1_800_000_000_000;

  beforeAll(async () => {
    dynamodb = await startLocalDynamoDB();
    await ensureTables(createDynamoDBClient({ endpoint: dynamodb.endpoint }), LOCAL_TABLE_NAMES);
    db = createDocumentClient({ endpoint: dynamodb.endpoint });
    claims = new CallClaimsStore(db, LOCAL_TABLE_NAMES, DEFAULT_CALL_RETENTION_DAYS);
    history = new CallHistoryStore(db, LOCAL_TABLE_NAMES, DEFAULT_CALL_RETENTION_DAYS);
    live = new LiveCallStore(db, LOCAL_TABLE_NAMES);
  });
  afterAll(() => dynamodb.close());

  /** A call as the webhook leaves it once accepted. */
  async function activeCall(outcome: 'active' | 'completed' = 'active'): Promise<string> {
    const callId = `rtc_store_${++n}`;
    await claims.create({
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

  const at = (ms: number) => new Date(NOW + ms).toISOString();
  const said = (id: string, ms: number, role: 'caller' | 'agent' = 'caller') => ({ role, text: `words of ${id}`, at: at(ms), id });

  it('stores each transcript entry once, however often and however concurrently it is delivered', async () => {
    const callId = await activeCall();
    const entry = transcriptItem(callId, said('item_1', 0), undefined);
    await Promise.all([1, 2, 3, 4].map(() => live.writeEntries([entry])));
    expect(await live.writeEntries([entry, transcriptItem(callId, said('item_2', 1), undefined)])).toEqual([]);
    expect((await history.get(callId))?.transcript.map((t) => t.id)).toEqual(['item_1', 'item_2']);
  });

  it('reads a call as users see it: the transcript in spoken order, actions in the order taken, token usage summed', async () => {
    const [callId, other] = [await activeCall(), await activeCall()];
    // One batch holds entries of several calls, in the order they arrived.
    await live.writeEntries([
      transcriptItem(callId, said('item_late', 2000, 'agent'), undefined),
      actionItem(callId, { type: 'greeting', at: at(0) }, 0, undefined),
      transcriptItem(other, said('item_other', 0), undefined),
      usageItem(callId, 'resp_1', { inputTokens: 10, outputTokens: 5, totalTokens: 15 }, undefined),
    ]);
    await live.writeEntries([
      transcriptItem(callId, said('item_early', 1000), undefined),
      // Two actions in the same millisecond keep the order they were taken in.
      actionItem(callId, { type: 'transfer', at: at(3000), target: 'front desk' }, 2, undefined),
      actionItem(callId, { type: 'dtmf', at: at(3000), key: '5' }, 1, undefined),
      usageItem(callId, 'resp_2', { inputTokens: 1, outputTokens: 2, totalTokens: 3 }, undefined),
    ]);
    const record = await history.get(callId);
    expect(record?.transcript).toEqual([said('item_early', 1000), said('item_late', 2000, 'agent')]);
    expect(record?.actions).toEqual([{ type: 'greeting', at: at(0) }, { type: 'dtmf', at: at(3000), key: '5' }, { type: 'transfer', at: at(3000), target: 'front desk' }]);
    expect(record?.usage).toEqual({ inputTokens: 11, outputTokens: 7, totalTokens: 18 });
    expect((await history.get(other))?.transcript.map((t) => t.id)).toEqual(['item_other']);
  });

  it('sums the usage with what OpenAI bills by: the session by kind of token, the transcriptions apart', async () => {
    const callId = await activeCall();
    const detail = (n: number) => ({
      inputTokens: 3 * n, outputTokens: 2 * n, totalTokens: 5 * n,
      inputTextTokens: 2 * n, inputAudioTokens: n, cachedTextTokens: n, cachedAudioTokens: 0, outputTextTokens: n, outputAudioTokens: n,
    });
    await live.writeEntries([
      usageItem(callId, 'resp_1', detail(1), undefined),
      usageItem(callId, 'resp_2', detail(2), undefined),
      usageItem(callId, 't#item_1', { transcriptionSeconds: 1.5 }, undefined),
      usageItem(callId, 't#item_2', { transcriptionSeconds: 2.25 }, undefined),
    ]);
    expect((await new CallEntriesStore(db, LOCAL_TABLE_NAMES.entries).read(callId)).usage).toEqual({ ...detail(3), transcriptionSeconds: 3.75 });
  });

  it('reads a long call whole, past the 1 MB a query returns at once', async () => {
    const callId = await activeCall();
    const long = 'x'.repeat(60_000);
    const items = Array.from({ length: 25 }, (_, i) => transcriptItem(callId, { ...said(`item_${String(i).padStart(2, '0')}`, i), text: long }, undefined));
    await live.writeEntries(items);
    const record = await history.get(callId);
    expect(record?.transcript).toHaveLength(25);
    expect(record?.transcript.every((t) => t.text === long)).toBe(true);
  });

  // Goes with entriesOnRecord (core/store/stored-call.ts): both are dropped on or after 2027-03-07.
  it('reads records from before the entries table (transcript, actions and usage on the record) with what came after', async () => {
    const callId = await activeCall();
    await db.send(
      new UpdateCommand({
        TableName: LOCAL_TABLE_NAMES.calls,
        Key: { callId },
        UpdateExpression: 'SET transcript = :t, actions = :a, inputTokens = :one, outputTokens = :one, totalTokens = :two',
        ExpressionAttributeValues: { ':t': [said('item_old', 0)], ':a': [{ type: 'greeting', at: at(0) }], ':one': 1, ':two': 2 },
      }),
    );
    await live.acquireLease(callId, 'w1', NOW - 1, NOW - 90_000);
    await live.writeEntries([
      transcriptItem(callId, said('item_new', 5000), undefined),
      actionItem(callId, { type: 'reattached', at: at(4000) }, 0, undefined),
      usageItem(callId, 'resp_1', { inputTokens: 1, outputTokens: 1, totalTokens: 2 }, undefined),
    ]);
    const record = await history.get(callId);
    expect(record?.transcript.map((t) => t.id)).toEqual(['item_old', 'item_new']);
    expect(record?.actions.map((a) => a.type)).toEqual(['greeting', 'reattached']);
    expect(record?.usage).toEqual({ inputTokens: 2, outputTokens: 2, totalTokens: 4 });
    // A worker taking the call over learns every action taken so far, old and new.
    const taken = await live.acquireLease(callId, 'w2', NOW + 90_000, NOW);
    expect(taken?.actions.map((a) => a.type)).toEqual(['greeting', 'reattached']);
  });

  it('tells a worker taking a call over which actions were taken on it; the first worker learns there were none', async () => {
    const callId = await activeCall();
    const first = await live.acquireLease(callId, 'w1', NOW - 1, NOW - 90_000);
    expect(first?.actions).toEqual([]);
    await live.writeEntries([
      actionItem(callId, { type: 'greeting', at: at(0) }, 0, undefined),
      actionItem(callId, { type: 'end-call', at: at(1000), toolCallId: 'call_1' }, 1, undefined),
    ]);
    const next = await live.acquireLease(callId, 'w2', NOW + 90_000, NOW);
    expect(next?.actions).toEqual([{ type: 'greeting', at: at(0) }, { type: 'end-call', at: at(1000), toolCallId: 'call_1' }]);
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

  it('keeps the usage summed at the end, so a listing prices calls 100 a request, the same as reading each whole', async () => {
    const detail = (n: number) => ({
      inputTokens: 3 * n, outputTokens: 2 * n, totalTokens: 5 * n,
      inputTextTokens: 2 * n, inputAudioTokens: n, cachedTextTokens: 0, cachedAudioTokens: 0, outputTextTokens: n, outputAudioTokens: n,
    });
    const ended = { outcome: 'completed' as const, reason: 'caller-hung-up', endedAt: new Date(NOW + 60_000).toISOString(), durationSeconds: 60 };
    const finished: string[] = [];
    for (let i = 0; i < 120; i++) {
      const callId = await activeCall();
      await db.send(new UpdateCommand({ TableName: LOCAL_TABLE_NAMES.calls, Key: { callId }, UpdateExpression: 'SET model = :m, transcriptionModel = :t', ExpressionAttributeValues: { ':m': 'gpt-realtime-2.1', ':t': 'gpt-live-transcribe' } }));
      await live.writeEntries([usageItem(callId, 'resp_1', detail(100 + i), undefined), usageItem(callId, 't#item_1', { transcriptionSeconds: 2 }, undefined)]);
      await live.finish(callId, ended);
      finished.push(callId);
    }
    expect((await live.get(finished[0]))?.usageAtEnd).toEqual({ ...detail(100), transcriptionSeconds: 2 });
    // Still live (no sum yet) and from before the sum was kept: each read whole.
    const stillLive = await activeCall();
    await live.writeEntries([usageItem(stillLive, 'resp_1', detail(7), undefined)]);
    const older = await activeCall();
    await live.writeEntries([usageItem(older, 'resp_1', detail(9), undefined)]);
    await db.send(new UpdateCommand({ TableName: LOCAL_TABLE_NAMES.calls, Key: { callId: older }, UpdateExpression: 'SET outcome = :c, model = :m', ExpressionAttributeValues: { ':c': 'completed', ':m': 'gpt-realtime-2.1' } }));
    const ids = [...finished, stillLive, older, 'rtc_never_stored'];

    const costs = await history.costsOf(ids);
    for (const callId of [...finished, stillLive, older]) expect({ callId, cost: costs.get(callId)?.cost }).toEqual({ callId, cost: (await history.get(callId))!.cost });
    expect(costs.get(finished[0])?.cost?.totalUsd).toBeGreaterThan(0);
    expect(costs.has('rtc_never_stored')).toBe(false);
    // A finished call is priced from its record alone: its entries are not read.
    await db.send(new DeleteCommand({ TableName: LOCAL_TABLE_NAMES.entries, Key: { callId: finished[0], entry: 'u#resp_1' } }));
    expect((await history.costsOf([finished[0]])).get(finished[0])?.cost).toEqual(costs.get(finished[0])?.cost);
  });
});
