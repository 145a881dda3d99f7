import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { CallQueue, QueuedCall } from './call-queue';

/** SQS's largest message by default (the queue's maximumMessageSize). */
const MAX_MESSAGE_BYTES = 256 * 1024;

/** The call queue in AWS: one SQS message per accepted call. */
export class SqsCallQueue implements CallQueue {
  constructor(
    private readonly sqs: SQSClient,
    readonly queueUrl: string,
  ) {}

  async enqueue(call: QueuedCall): Promise<void> {
    let body = JSON.stringify(call);
    // A config this large is unusual (long instructions): the call goes without it rather than not at all.
    if (Buffer.byteLength(body) > MAX_MESSAGE_BYTES) body = JSON.stringify({ ...call, config: undefined });
    await this.sqs.send(new SendMessageCommand({ QueueUrl: this.queueUrl, MessageBody: body }));
  }
}
