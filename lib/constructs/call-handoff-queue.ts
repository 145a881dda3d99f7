import { Duration } from 'aws-cdk-lib';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { CALL_VISIBILITY_SECONDS, HEARTBEAT_SECONDS } from '../../core/runtime/contract';

export interface CallHandoffQueueProps {
  /**
   * Receives of one call's message (a worker taking it, or re-attaching after a worker died) before
   * it is parked in the dead-letter queue.
   * @default 5
   */
  readonly maxReceiveCount?: number;
}

/**
 * The SQS queue (and its dead-letter queue) through which the webhook hands answered calls to the
 * call workers: what core/queue's `CallQueue` (the webhook's side, which enqueues) and
 * `CallSource` (the workers' side, which receives) talk to. A held call's message stays in flight
 * for the whole call: the worker renews its visibility every HEARTBEAT_SECONDS, so if the worker
 * dies the call reappears after CALL_VISIBILITY_SECONDS and another worker re-attaches.
 */
export class CallHandoffQueue extends Construct {
  public readonly queue: Queue;
  public readonly deadLetterQueue: Queue;
  public readonly maxReceiveCount: number;

  constructor(scope: Construct, id: string, props: CallHandoffQueueProps = {}) {
    super(scope, id);
    if (CALL_VISIBILITY_SECONDS < 2 * HEARTBEAT_SECONDS) {
      throw new Error(`CALL_VISIBILITY_SECONDS (${CALL_VISIBILITY_SECONDS}) must cover at least two heartbeats of ${HEARTBEAT_SECONDS} s`);
    }
    this.maxReceiveCount = props.maxReceiveCount ?? 5;

    this.deadLetterQueue = new Queue(this, 'DeadLetterQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });

    this.queue = new Queue(this, 'Queue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: Duration.seconds(CALL_VISIBILITY_SECONDS),
      retentionPeriod: Duration.days(4),
      // Long polling by default: idle workers cost no empty receives.
      receiveMessageWaitTime: Duration.seconds(20),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: this.maxReceiveCount },
    });
  }
}
