import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ReceiveMessageCommand, SendMessageBatchCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { SqsCallQueue } from '../../core/queue/sqs-call-queue';
import { SqsCallSource } from '../../core/queue/sqs-call-source';
import { parseNumberConfig } from '../../core/numbers/config';
import { startFauxqs, type LocalSqs } from '../support/fauxqs';

const example = JSON.parse(readFileSync(join(__dirname, '../../examples/support-line.json'), 'utf8'));

/** The worker's side of the call queue against a real SQS API (fauxqs). */
describe('SqsCallSource (fauxqs)', () => {
  let sqs: LocalSqs;
  let queueUrl: string;
  let queues = 0;

  beforeAll(async () => {
    sqs = await startFauxqs();
  });
  afterAll(() => sqs.close());
  beforeEach(async () => {
    queueUrl = await sqs.createQueue(`calls-${++queues}`);
  });

  const source = (waitSeconds = 1) => new SqsCallSource(sqs.client, queueUrl, waitSeconds);
  const enqueue = (callId: string) => new SqsCallQueue(sqs.client, queueUrl).enqueue({ callId, number: '+17134810111' });
  /** What another worker would see now: takes nothing (visibility 0 puts it straight back). */
  async function visible(): Promise<string[]> {
    const { Messages = [] } = await sqs.client.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 0 }));
    return Messages.map((m) => JSON.parse(m.Body!).callId as string).sort();
  }

  it("carries the number's config to the worker, and leaves out one too large for a message (the worker reads it instead)", async () => {
    const queue = new SqsCallQueue(sqs.client, queueUrl);
    const config = parseNumberConfig(example);
    await queue.enqueue({ callId: 'rtc_small', number: config.number, config });
    // Larger than any config validation lets through today; the queue must cope all the same.
    const huge = { ...config, agent: { ...config.agent!, instructions: 'Be brief. '.repeat(30_000) } };
    await queue.enqueue({ callId: 'rtc_huge', number: huge.number, config: huge });
    const calls = (await source().receive(10, 30)).map((d) => d.call).sort((a, b) => a.callId.localeCompare(b.callId));
    expect(calls).toEqual([
      { callId: 'rtc_huge', number: config.number },
      { callId: 'rtc_small', number: config.number, config },
    ]);
  });

  it('takes up to the room it has, past the 10 SQS hands out per request', async () => {
    for (let batch = 0; batch < 3; batch++) {
      await sqs.client.send(
        new SendMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: Array.from({ length: 10 }, (_, i) => ({ Id: `m${i}`, MessageBody: JSON.stringify({ callId: `rtc_${batch * 10 + i}`, number: '+17134810111' }) })),
        }),
      );
    }
    const first = await source().receive(23, 30);
    expect(first).toHaveLength(23);
    expect(new Set(first.map((d) => d.call.callId)).size).toBe(23);
    expect(await source().receive(23, 30)).toHaveLength(7);
  });

  it('hides a held call, shows it again at once when released, and counts deliveries', async () => {
    await enqueue('rtc_a');
    const [held] = await source().receive(5, 30);
    expect(held).toMatchObject({ call: { callId: 'rtc_a', number: '+17134810111' }, receiveCount: 1 });
    expect(await visible()).toEqual([]);
    await held.extend(30);
    expect(await visible()).toEqual([]);
    await held.release();
    const [again] = await source().receive(5, 30);
    expect(again).toMatchObject({ call: { callId: 'rtc_a' }, receiveCount: 2 });
    await again.complete();
    expect(await visible()).toEqual([]);
  });

  it('brings a call back when its visibility runs out (the worker died)', async () => {
    await enqueue('rtc_b');
    const [held] = await source().receive(1, 1);
    expect(held.call.callId).toBe('rtc_b');
    await new Promise((resolve) => setTimeout(resolve, 1200));
    const [back] = await source().receive(1, 30);
    expect(back).toMatchObject({ call: { callId: 'rtc_b' }, receiveCount: 2 });
  });

  it('skips a message the webhook did not write (it ends in the dead-letter queue)', async () => {
    await sqs.client.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'not a call' }));
    await enqueue('rtc_c');
    const deliveries = await source().receive(10, 30);
    expect(deliveries.map((d) => d.call.callId)).toEqual(['rtc_c']);
  });

  it('lets a long poll in flight finish when aborted, and returns what it brought (SQS would keep it anyway)', async () => {
    const abort = new AbortController();
    const polling = source(2).receive(10, 30, abort.signal);
    await new Promise((resolve) => setTimeout(resolve, 200));
    abort.abort();
    await enqueue('rtc_during_drain');
    expect((await polling).map((d) => d.call.callId)).toEqual(['rtc_during_drain']);
  });
});
