import { ChangeMessageVisibilityCommand, DeleteMessageCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { CallDelivery, CallSource, QueuedCall } from './call-queue';

/** The worker side of the call queue in AWS: long polls, visibility heartbeats, delete on completion. */
export class SqsCallSource implements CallSource {
  constructor(
    private readonly sqs: SQSClient,
    readonly queueUrl: string,
    /** Long-poll wait; SQS allows up to 20 s. */
    private readonly waitSeconds = 20,
  ) {}

  async receive(max: number, visibilitySeconds: number, signal?: AbortSignal): Promise<CallDelivery[]> {
    if (signal?.aborted) return [];
    let messages;
    try {
      ({ Messages: messages } = await this.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: this.queueUrl,
          MaxNumberOfMessages: Math.max(1, Math.min(max, 10)),
          WaitTimeSeconds: this.waitSeconds,
          VisibilityTimeout: visibilitySeconds,
          MessageSystemAttributeNames: ['ApproximateReceiveCount'],
        }),
        { abortSignal: signal },
      ));
    } catch (err) {
      if (signal?.aborted) return [];
      throw err;
    }
    return (messages ?? []).flatMap((message) => {
      const call = parseCall(message.Body);
      const handle = message.ReceiptHandle!;
      const visibility = (VisibilityTimeout: number) =>
        this.sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: this.queueUrl, ReceiptHandle: handle, VisibilityTimeout })).then(() => undefined);
      const remove = () => this.sqs.send(new DeleteMessageCommand({ QueueUrl: this.queueUrl, ReceiptHandle: handle })).then(() => undefined);
      // Not something the webhook wrote: left alone, it lands in the dead-letter queue for a person to see.
      if (!call) return [];
      return [
        {
          call,
          receiveCount: Number(message.Attributes?.ApproximateReceiveCount ?? 1),
          extend: (seconds: number) => visibility(seconds),
          complete: remove,
          release: () => visibility(0),
        },
      ];
    });
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
