import { jsonLog } from '../../core/runtime/log';
import { actionItem, transcriptItem, type EntryItem } from '../../core/store/call-entries-store';
import { EntryWriter } from '../../core/worker/entry-writer';

const AT = '2026-11-30T12:00:00.000Z';
const said = (callId: string, id: string) => transcriptItem(callId, { role: 'caller', text: `words ${id}`, at: AT, id }, 1_900_000_000);
const keys = (items: EntryItem[]) => items.map((i) => `${i.callId}/${i.entry}`);
const tick = () => new Promise((resolve) => setImmediate(resolve));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A store whose batch writes finish when the test says so, oldest first. */
function heldStore() {
  const writes: EntryItem[][] = [];
  const finishers: ((outcome: { error?: Error; unprocessed?: EntryItem[] }) => void)[] = [];
  return {
    writes,
    writeEntries: (items: readonly EntryItem[]) => {
      writes.push([...items]);
      return new Promise<EntryItem[]>((resolve, reject) =>
        finishers.push(({ error, unprocessed }) => (error ? reject(error) : resolve((unprocessed ?? []).map((i) => ({ ...i }))))),
      );
    },
    inFlight: () => finishers.length,
    /** Lets the oldest unfinished write finish (or fail, or leave some unprocessed), once there is one. */
    finish: async (outcome: { error?: Error; unprocessed?: EntryItem[] } = {}) => {
      while (finishers.length === 0) await new Promise((resolve) => setTimeout(resolve, 1));
      finishers.shift()!(outcome);
      await tick();
      await tick();
    },
  };
}

function logLines() {
  const lines: Record<string, unknown>[] = [];
  return { lines, log: jsonLog('test', { write: (line) => lines.push(JSON.parse(line) as Record<string, unknown>) }) };
}

describe('EntryWriter', () => {
  it('lets entries of several calls wait 10 ms to share a write, sends a full batch at once, and holds what comes while two writes are out', async () => {
    const store = heldStore();
    const writer = new EntryWriter(store, logLines().log);
    writer.add(said('rtc_a', 'item_1'));
    writer.add(actionItem('rtc_b', { type: 'greeting', at: AT }, 0, undefined));
    expect(store.writes).toHaveLength(0);
    await sleep(20);
    expect(store.writes.map(keys)).toEqual([['rtc_a/t#item_1', `rtc_b/a#${AT}#0000`]]);
    expect(store.writes[0][0]).toEqual({ callId: 'rtc_a', entry: 't#item_1', role: 'caller', text: 'words item_1', at: AT, expiresAt: 1_900_000_000 });
    for (let i = 0; i < 25; i++) writer.add(said('rtc_c', `item_${i}`));
    expect(store.writes.map((w) => w.length)).toEqual([2, 25]);
    // Both writes are out: this one waits for one of them, past its 10 ms.
    writer.add(said('rtc_d', 'item_1'));
    await sleep(20);
    expect(store.writes).toHaveLength(2);
    await store.finish();
    expect(store.writes.map(keys)[2]).toEqual(['rtc_d/t#item_1']);
    await store.finish();
    await store.finish();
    await writer.idle();
  });

  it('never puts the same entry twice in one batch', async () => {
    const store = heldStore();
    const writer = new EntryWriter(store, logLines().log);
    writer.add(said('rtc_a', 'item_0'));
    // Delivered again (a re-attached socket): it waits for the next batch.
    writer.add(said('rtc_a', 'item_0'));
    for (let i = 1; i < 30; i++) writer.add(said('rtc_a', `item_${i}`));
    await store.finish();
    await store.finish();
    await writer.idle();
    expect(keys(store.writes[0])).toEqual(Array.from({ length: 24 }, (_, i) => `rtc_a/t#item_${i}`));
    expect(keys(store.writes[1])).toEqual(['rtc_a/t#item_0', ...[24, 25, 26, 27, 28, 29].map((i) => `rtc_a/t#item_${i}`)]);
  });

  it('tries again what DynamoDB left unprocessed, and a call is settled only once all of its entries are stored', async () => {
    const store = heldStore();
    const writer = new EntryWriter(store, logLines().log, 5);
    writer.add(said('rtc_a', 'item_1'));
    writer.add(said('rtc_b', 'item_2'));
    let aSettled = false;
    let bSettled = false;
    void writer.settled('rtc_a').then(() => (aSettled = true));
    void writer.settled('rtc_b').then(() => (bSettled = true));
    await store.finish({ unprocessed: [said('rtc_a', 'item_1')] });
    expect([aSettled, bSettled]).toEqual([false, true]);
    await store.finish();
    await writer.settled('rtc_a');
    expect(aSettled).toBe(true);
    expect(store.writes.map(keys)).toEqual([['rtc_a/t#item_1', 'rtc_b/t#item_2'], ['rtc_a/t#item_1']]);
  });

  it('tries a failed write twice more, then logs what it could not store, per call, and settles', async () => {
    const store = heldStore();
    const { lines, log } = logLines();
    const writer = new EntryWriter(store, log, 5);
    writer.add(said('rtc_a', 'item_1'));
    writer.add(said('rtc_b', 'item_2'));
    const settled = writer.settled('rtc_a');
    await store.finish({ error: new Error('socket hang up') });
    await store.finish({ error: new Error('socket hang up') });
    await store.finish({ error: new Error('socket hang up') });
    await settled;
    await writer.idle();
    expect(store.writes.map(keys)).toEqual(Array(3).fill(['rtc_a/t#item_1', 'rtc_b/t#item_2']));
    expect(lines.filter((l) => l.level === 'warn').map((l) => l.entries)).toEqual([2, 2]);
    const errors = lines.filter((l) => l.level === 'error');
    expect(errors.map((l) => [l.message, l.callId, (l.entries as EntryItem[]).map((e) => e.entry)])).toEqual([
      ['could not store what was said and done on the call', 'rtc_a', ['t#item_1']],
      ['could not store what was said and done on the call', 'rtc_b', ['t#item_2']],
    ]);
    expect(errors[0].error).toMatchObject({ message: 'socket hang up' });
  });

  it('is settled at once for a call with nothing to write', async () => {
    const writer = new EntryWriter(heldStore(), logLines().log);
    await writer.settled('rtc_none');
    await writer.idle();
  });
});
