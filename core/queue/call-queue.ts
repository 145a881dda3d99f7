import type { NumberConfig } from '../numbers/config';

/** What the webhook hands the call worker: enough to find the call and its record. */
export interface QueuedCall {
  callId: string;
  number: string;
  /** A GPT-Live session (`live_` id); absent for a Realtime call. */
  engine?: 'live';
  /**
   * The number's config the call was accepted with, so that the worker runs the call with the
   * instructions and transfers it was answered with, and reads nothing to start it. Absent from
   * a message too large for the queue with it (the worker then reads the number's config).
   */
  config?: NumberConfig;
  /**
   * The words to greet the caller with, filled in for this call (the lookup's variables, or its
   * own greeting). Absent when the number has no greeting, and from messages queued before
   * greetings were filled in (the worker then says the config's).
   */
  greeting?: string;
  /** The accept may or may not have reached OpenAI; the worker finds out on the sideband. */
  acceptUnconfirmed?: boolean;
}

/** The webhook side of the call queue: SQS in AWS, in-process locally. */
export interface CallQueue {
  enqueue(call: QueuedCall): Promise<void>;
}

/** One queued call as a worker holds it: hidden from other workers while the worker extends it. */
export interface CallDelivery {
  call: QueuedCall;
  /** How many times the call was handed to a worker (1 on the first delivery). */
  receiveCount: number;
  /** Keeps the call hidden from other workers for this many more seconds (the heartbeat). */
  extend(seconds: number): Promise<void>;
  /** The call is over: remove it from the queue. */
  complete(): Promise<void>;
  /** Hands the call back: visible to other workers at once. */
  release(): Promise<void>;
}

/** The worker side of the call queue. */
export interface CallSource {
  /**
   * Waits (long poll) for up to `max` calls. `signal` ends the wait early where the source can
   * stop it without losing a call (SQS cannot: its poll in flight finishes first); whatever
   * comes back after an abort is the caller's to give back.
   */
  receive(max: number, visibilitySeconds: number, signal?: AbortSignal): Promise<CallDelivery[]>;
}
