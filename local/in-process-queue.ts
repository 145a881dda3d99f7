import type { CallDelivery, CallQueue, CallSource, QueuedCall } from '../core/queue/call-queue';

interface Message {
  call: QueuedCall;
  visibleAt: number;
  receiveCount: number;
  handle: number;
}

/**
 * The call queue for a single local process (`switchboard dev`, `simulate`): the same
 * visibility semantics as SQS (a received call is hidden until it is completed, released or
 * its visibility runs out), so the worker behaves locally as it does in AWS.
 */
export class InProcessCallQueue implements CallQueue, CallSource {
  private readonly messages: Message[] = [];
  private readonly waiters = new Set<() => void>();
  private nextHandle = 1;

  async enqueue(call: QueuedCall): Promise<void> {
    this.messages.push({ call, visibleAt: 0, receiveCount: 0, handle: 0 });
    this.wake();
  }

  get size(): number {
    return this.messages.length;
  }

  async receive(max: number, visibilitySeconds: number, signal?: AbortSignal): Promise<CallDelivery[]> {
    for (;;) {
      const now = Date.now();
      const ready = this.messages.filter((m) => m.visibleAt <= now).slice(0, max);
      if (ready.length > 0 || signal?.aborted) return ready.map((m) => this.deliver(m, visibilitySeconds));
      const nextVisible = Math.min(...this.messages.map((m) => m.visibleAt).filter((t) => t > now), now + 1000);
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          this.waiters.delete(done);
          signal?.removeEventListener('abort', done);
          resolve();
        };
        const timer = setTimeout(done, nextVisible - now);
        this.waiters.add(done);
        signal?.addEventListener('abort', done);
      });
    }
  }

  private deliver(message: Message, visibilitySeconds: number): CallDelivery {
    message.receiveCount += 1;
    message.handle = this.nextHandle++;
    message.visibleAt = Date.now() + visibilitySeconds * 1000;
    return new InProcessDelivery(this, message);
  }

  /** The message, if `handle` is still its newest delivery and it is still queued. */
  current(message: Message, handle: number): Message | undefined {
    return message.handle === handle && this.messages.includes(message) ? message : undefined;
  }

  remove(message: Message): void {
    this.messages.splice(this.messages.indexOf(message), 1);
  }

  wake(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}

/**
 * One delivery of a message: its methods live on the prototype, so a held call costs one small
 * object here, not a closure per method. A handle goes stale once the call was delivered again,
 * as an SQS receipt handle does.
 */
class InProcessDelivery implements CallDelivery {
  readonly call: QueuedCall;
  readonly receiveCount: number;
  private readonly handle: number;

  constructor(
    private readonly queue: InProcessCallQueue,
    private readonly message: Message,
  ) {
    this.call = message.call;
    this.receiveCount = message.receiveCount;
    this.handle = message.handle;
  }

  async extend(seconds: number): Promise<void> {
    const m = this.queue.current(this.message, this.handle);
    if (m) m.visibleAt = Date.now() + seconds * 1000;
  }

  async complete(): Promise<void> {
    const m = this.queue.current(this.message, this.handle);
    if (m) this.queue.remove(m);
  }

  async release(): Promise<void> {
    const m = this.queue.current(this.message, this.handle);
    if (m) {
      m.visibleAt = 0;
      this.queue.wake();
    }
  }
}
