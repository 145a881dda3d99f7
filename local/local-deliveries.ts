import { deliverCall, type DeliveryServices } from '../core/delivery/deliver-call';
import { eventOfOutcome, type DeliveryEvent } from '../core/delivery/delivery-plan';
import type { CallHistoryStore } from '../core/store/call-history-store';

/**
 * `switchboard dev`'s deliveries: what the calls table's stream, the delivery queue and the
 * delivery Lambda do in AWS (lib/constructs/call-deliveries.ts), on one machine. dynalite has no
 * streams, so the calls of the last `windowMs` are read every `pollMs`, and each that has ended
 * is delivered from what is stored (deliverCall drops one delivered before): a worker that died
 * as a call ended, or a dev restarted, loses nothing that recent. Retries wait in timers,
 * shortened by `backoffScale`.
 */
export interface LocalDeliveriesOptions {
  calls: Pick<CallHistoryStore, 'list'>;
  services: DeliveryServices;
  /** @default 1000 */
  pollMs?: number;
  /** How far back a call may have started and still be picked up. @default one hour */
  windowMs?: number;
}

export interface LocalDeliveries {
  /** Deliveries started and not yet done (attempting or waiting to retry). */
  pending(): number;
  close(): Promise<void>;
}

export function startLocalDeliveries(opts: LocalDeliveriesOptions): LocalDeliveries {
  const log = opts.services.log;
  const seen = new Set<string>();
  const timers = new Set<NodeJS.Timeout>();
  const running = new Set<Promise<void>>();
  let pending = 0;
  let closed = false;

  const attempt = (callId: string, event: DeliveryEvent, n: number): void => {
    const work = deliverCall({ callId, event }, n, opts.services)
      .then((step) => {
        if (step.kind === 'done' || closed) {
          pending--;
          return;
        }
        const timer = setTimeout(() => {
          timers.delete(timer);
          attempt(callId, event, n + 1);
        }, step.delaySeconds * 1000);
        timers.add(timer);
      })
      .catch((error: unknown) => {
        pending--;
        log.error('delivery failed unexpectedly', { callId, event, error });
      });
    running.add(work);
    void work.finally(() => running.delete(work));
  };

  const poll = async (): Promise<void> => {
    const since = new Date(Date.now() - (opts.windowMs ?? 3_600_000)).toISOString();
    // Every call of the window, page by page: a long call's end comes after many newer calls began.
    const calls = [];
    let cursor: string | undefined;
    do {
      const page = await opts.calls.list({ since, limit: 500, cursor });
      calls.push(...page.calls);
      cursor = page.cursor;
    } while (cursor);
    for (const call of calls) {
      const event = eventOfOutcome(call.outcome);
      const key = `${call.callId} ${event}`;
      if (!event || seen.has(key)) continue;
      seen.add(key);
      pending++;
      attempt(call.callId, event, 1);
    }
  };

  let polling = Promise.resolve();
  const interval = setInterval(() => {
    polling = polling.then(poll).catch((error: unknown) => log.warn('could not read the calls to deliver', { error }));
  }, opts.pollMs ?? 1000);

  return {
    pending: () => pending,
    close: async () => {
      closed = true;
      clearInterval(interval);
      for (const timer of timers) clearTimeout(timer);
      await polling;
      await Promise.allSettled([...running]);
    },
  };
}
