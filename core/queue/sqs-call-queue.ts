import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { CallQueue, QueuedCall } from './call-queue';

/** The call queue in AWS: one SQS message per accepted call. */
export class SqsCallQueue implements CallQueue {
  constructor(
    private readonly sqs: SQSClient,
    readonly queueUrl: string,
  ) {}

  async enqueue(call: QueuedCall): Promise<void> {
    await this.sqs.send(new SendMessageCommand({ QueueUrl: this.queueUrl, MessageBody: JSON.stringify(call) }));
  }
}
