import { ChangeMessageVisibilityCommand, DeleteMessageCommand, ReceiveMessageCommand, type Message, type SQSClient } from '@aws-sdk/client-sqs';
import type { CallDelivery, CallSource, QueuedCall } from './call-queue';

/** SQS hands out at most this many messages per ReceiveMessage. */
const SQS_BATCH = 10;
/** SQS's longest long poll. */
export const MAX_POLL_SECONDS = 20;

/** The worker side of the call queue in AWS: long polls, visibility heartbeats, delete on completion. */
export class SqsCallSource implements CallSource {
  constructor(
    private readonly sqs: SQSClient,
    readonly queueUrl: string,
    /** Long-poll wait, at most MAX_POLL_SECONDS. */
    private readonly waitSeconds = MAX_POLL_SECONDS,
  ) {
    if (waitSeconds > MAX_POLL_SECONDS) throw new Error(`the long-poll wait is at most ${MAX_POLL_SECONDS} s, got ${waitSeconds}`);
  }

  /**
   * Long-polls for the first batch; while batches come back full and there is room, takes more
   * without waiting. An abort stops it taking more, never a poll in flight: SQS keeps an aborted
   * long poll open on its side and hands the next message to it, where nobody would see it until
   * its visibility ran out (aws/aws-sdk-js#2350). So a poll always finishes, within `waitSeconds`,
   * and what it brought is returned for the caller to take or give back.
   */
  async receive(max: number, visibilitySeconds: number, signal?: AbortSignal): Promise<CallDelivery[]> {
    const deliveries: CallDelivery[] = [];
    let wait = this.waitSeconds;
    while (deliveries.length < max && !signal?.aborted) {
      const want = Math.min(max - deliveries.length, SQS_BATCH);
      let messages: Message[];
      try {
        ({ Messages: messages = [] } = await this.sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: this.queueUrl,
            MaxNumberOfMessages: want,
            WaitTimeSeconds: wait,
            VisibilityTimeout: visibilitySeconds,
            MessageSystemAttributeNames: ['ApproximateReceiveCount'],
          }),
        ));
      } catch (err) {
        // Messages already taken stay with the caller.
        if (deliveries.length > 0) break;
        throw err;
      }
      deliveries.push(...messages.flatMap((message) => this.delivery(message)));
      if (messages.length < want) break;
      wait = 0;
    }
    return deliveries;
  }

  private delivery(message: Message): CallDelivery[] {
    const call = parseCall(message.Body);
    // Not something the webhook wrote: left alone, it lands in the dead-letter queue for a person to see.
    if (!call || !message.ReceiptHandle) return [];
    return [new SqsDelivery(this.sqs, this.queueUrl, call, message.ReceiptHandle, Number(message.Attributes?.ApproximateReceiveCount ?? 1))];
  }
}

/** One received message, held as long as its call lasts: methods on the prototype, no closures per call. */
class SqsDelivery implements CallDelivery {
  constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrl: string,
    readonly call: QueuedCall,
    private readonly handle: string,
    readonly receiveCount: number,
  ) {}

  async extend(seconds: number): Promise<void> {
    await this.visibility(seconds);
  }

  async complete(): Promise<void> {
    await this.sqs.send(new DeleteMessageCommand({ QueueUrl: this.queueUrl, ReceiptHandle: this.handle }));
  }

  async release(): Promise<void> {
    await this.visibility(0);
  }

  private async visibility(VisibilityTimeout: number): Promise<void> {
    await this.sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: this.queueUrl, ReceiptHandle: this.handle, VisibilityTimeout }));
  }
}

function parseCall(body: string | undefined): QueuedCall | undefined {
  try {
    const call = JSON.parse(body ?? '') as QueuedCall;
    return typeof call.callId === 'string' && typeof call.number === 'string' ? call : undefined;
  } catch {
    return undefined;
  }
}
