import type { CallAction, TranscriptEntry } from '../../core/calls/record';
import { jsonLog } from '../../core/runtime/log';
import type { CallUpdate } from '../../core/store/live-call-store';
import { RecordWriter } from '../../core/worker/record-writer';

const entry = (id: string): TranscriptEntry => ({ role: 'caller', text: `words ${id}`, at: '2026-11-30T12:00:00.000Z', id });
const action = (type: string): CallAction => ({ type, at: '2026-11-30T12:00:00.000Z' });

/** A store whose writes finish when the test says so. */
function heldStore() {
  const writes: CallUpdate[] = [];
  const finishers: ((err?: Error) => void)[] = [];
  return {
    writes,
    append: (_callId: string, update: CallUpdate) => {
      writes.push(structuredClone(update));
      return new Promise<TranscriptEntry[]>((resolve, reject) => finishers.push((err) => (err ? reject(err) : resolve(update.transcript))));
    },
    /** Lets the oldest unfinished write finish (or fail), once there is one. */
    finish: async (err?: Error) => {
      while (finishers.length === 0) await new Promise((resolve) => setTimeout(resolve, 1));
      finishers.shift()!(err);
      await new Promise((resolve) => setImmediate(resolve));
    },
  };
}

describe('RecordWriter', () => {
  it('sends what arrives together in one write, and what arrives during a write in the next one, in order', async () => {
    const store = heldStore();
    const writer = new RecordWriter(store, 'rtc_1', jsonLog('test', () => {}));
    writer.action(action('greeting'));
    await store.finish();
    writer.transcript(entry('a'));
    // An agent's transcript and its token usage arrive in the same read from the socket.
    writer.transcript(entry('b'));
    writer.usage({ inputTokens: 1, outputTokens: 2, totalTokens: 3 });
    await new Promise((resolve) => setImmediate(resolve));
    writer.transcript(entry('c'));
    writer.usage({ inputTokens: 10, outputTokens: 20, totalTokens: 30 });
    writer.usage({ inputTokens: 1, outputTokens: 1, totalTokens: 2 });
    writer.action(action('transfer'));
    await store.finish();
    await store.finish();
    await writer.settled();
    expect(store.writes).toEqual([
      { transcript: [], actions: [action('greeting')] },
      { transcript: [entry('a'), entry('b')], actions: [], usage: { inputTokens: 1, outputTokens: 2, totalTokens: 3 } },
      { transcript: [entry('c')], actions: [action('transfer')], usage: { inputTokens: 11, outputTokens: 21, totalTokens: 32 } },
    ]);
  });

  it('tries a failed write again, twice, ahead of what came after it', async () => {
    const store = heldStore();
    const lines: string[] = [];
    const writer = new RecordWriter(store, 'rtc_1', jsonLog('test', (line) => lines.push(line)), 5);
    writer.transcript(entry('a'));
    await new Promise((resolve) => setImmediate(resolve));
    writer.transcript(entry('b'));
    await store.finish(new Error('socket hang up'));
    await store.finish(new Error('socket hang up'));
    await store.finish();
    await store.finish();
    await writer.settled();
    expect(store.writes.map((w) => w.transcript.map((e) => e.id))).toEqual([['a'], ['a'], ['a'], ['b']]);
    expect(lines.map((l) => JSON.parse(l))).toEqual([
      expect.objectContaining({ level: 'warn', message: 'could not store what was said and done on the call; trying again', attempt: 1 }),
      expect.objectContaining({ level: 'warn', attempt: 2 }),
    ]);
  });

  it('gives up on a write after three tries, logs what it held, and goes on with the next', async () => {
    const store = heldStore();
    const lines: string[] = [];
    const writer = new RecordWriter(store, 'rtc_1', jsonLog('test', (line) => lines.push(line)), 1);
    writer.transcript(entry('a'));
    await new Promise((resolve) => setImmediate(resolve));
    writer.action(action('dtmf'));
    for (let i = 1; i <= 3; i++) await store.finish(new Error('ValidationException: Item size has exceeded the maximum allowed size'));
    await store.finish();
    await writer.settled();
    expect(store.writes.map((w) => w.actions.length)).toEqual([0, 0, 0, 1]);
    expect(JSON.parse(lines[2])).toMatchObject({ level: 'error', message: 'could not store what was said and done on the call', update: { transcript: [entry('a')] } });
  });

  it('splits a backlog into writes of at most 25 entries', async () => {
    const store = heldStore();
    const writer = new RecordWriter(store, 'rtc_1', jsonLog('test', () => {}));
    writer.transcript(entry('first'));
    await new Promise((resolve) => setImmediate(resolve));
    for (let i = 0; i < 60; i++) writer.transcript(entry(String(i)));
    for (let i = 0; i < 4; i++) await store.finish();
    await writer.settled();
    expect(store.writes.map((w) => w.transcript.length)).toEqual([1, 25, 25, 10]);
    expect(store.writes.flatMap((w) => w.transcript.map((e) => e.id))).toEqual(['first', ...Array.from({ length: 60 }, (_, i) => String(i))]);
  });
});
