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
    const handle = message.handle;
    // A handle goes stale once the call was delivered again, as an SQS receipt handle does.
    const current = () => (message.handle === handle && this.messages.includes(message) ? message : undefined);
    return {
      call: message.call,
      receiveCount: message.receiveCount,
      extend: async (seconds) => {
        const m = current();
        if (m) m.visibleAt = Date.now() + seconds * 1000;
      },
      complete: async () => {
        const m = current();
        if (m) this.messages.splice(this.messages.indexOf(m), 1);
      },
      release: async () => {
        const m = current();
        if (m) {
          m.visibleAt = 0;
          this.wake();
        }
      },
    };
  }

  private wake(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}
