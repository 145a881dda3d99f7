import type { Log } from '../runtime/log';
import { entryKey, MAX_ITEMS_PER_BATCH, type EntryItem } from '../store/call-entries-store';
import type { LiveCalls } from '../store/live-call-store';

/** Tries per entry, on top of the SDK's own retries: an outage of a few seconds loses nothing. */
const WRITE_ATTEMPTS = 3;
/**
 * How long an entry may wait for others to share its write. Under load a batch fills in far less;
 * on a quiet worker an entry is stored this much later, which nobody reading a call notices.
 */
const BATCH_WAIT_MS = 10;
/** Batch writes in flight at once; what comes while they are out waits for the next one. */
const MAX_WRITES_IN_FLIGHT = 2;

interface Queued {
  item: EntryItem;
  attempt: number;
}

/** Entries of one call not yet written, and who waits for them. */
interface Outstanding {
  count: number;
  waiters?: (() => void)[];
}

/**
 * Writes what is said and done on every call a worker holds, as it happens: entries of many
 * calls go out together, up to 25 to a BatchWriteItem, instead of a request each, since the
 * request, not the entry, is what costs the worker CPU (the AWS SDK's work per request).
 */
export class EntryWriter {
  private queue: Queued[] = [];
  private inFlight = 0;
  /** Runs out when the oldest queued entry has waited BATCH_WAIT_MS. */
  private timer: NodeJS.Timeout | undefined;
  /** The oldest queued entry has waited long enough: send what there is. */
  private due = false;
  private readonly outstanding = new Map<string, Outstanding>();

  constructor(
    private readonly store: Pick<LiveCalls, 'writeEntries'>,
    private readonly log: Log,
    /** Wait before an entry's second try; doubled before the third. */
    private readonly retryDelayMs = 1000,
  ) {}

  add(item: EntryItem): void {
    const outstanding = this.outstanding.get(item.callId);
    if (outstanding) outstanding.count++;
    else this.outstanding.set(item.callId, { count: 1 });
    this.enqueue({ item, attempt: 1 });
  }

  /** Resolves once every entry of the call handed in so far is written (or, failing that, logged). */
  settled(callId: string): Promise<void> {
    const outstanding = this.outstanding.get(callId);
    if (!outstanding) return Promise.resolve();
    return new Promise((resolve) => (outstanding.waiters ??= []).push(resolve));
  }

  /** Resolves once every entry handed in so far is written (or logged). */
  async idle(): Promise<void> {
    await Promise.all([...this.outstanding.keys()].map((callId) => this.settled(callId)));
  }

  private enqueue(queued: Queued): void {
    this.queue.push(queued);
    if (this.queue.length >= MAX_ITEMS_PER_BATCH) return this.pump();
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      this.due = true;
      this.pump();
    }, BATCH_WAIT_MS);
  }

  private pump(): void {
    while (this.inFlight < MAX_WRITES_IN_FLIGHT && (this.queue.length >= MAX_ITEMS_PER_BATCH || (this.due && this.queue.length > 0))) {
      const batch = this.takeBatch();
      this.inFlight++;
      void this.send(batch).finally(() => {
        this.inFlight--;
        this.pump();
      });
    }
    if (this.queue.length > 0) return;
    this.due = false;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Up to a batch's worth, with no key twice (DynamoDB refuses that); a repeat waits for the next batch. */
  private takeBatch(): Queued[] {
    const batch: Queued[] = [];
    const keys = new Set<string>();
    const rest: Queued[] = [];
    let i = 0;
    for (; i < this.queue.length && batch.length < MAX_ITEMS_PER_BATCH; i++) {
      const queued = this.queue[i];
      const key = entryKey(queued.item);
      if (keys.has(key)) rest.push(queued);
      else {
        keys.add(key);
        batch.push(queued);
      }
    }
    this.queue = [...rest, ...this.queue.slice(i)];
    return batch;
  }

  private async send(batch: Queued[]): Promise<void> {
    let unwritten: (queued: Queued) => boolean;
    let error: unknown;
    try {
      const unprocessed = new Set((await this.store.writeEntries(batch.map((q) => q.item))).map(entryKey));
      unwritten = (queued) => unprocessed.has(entryKey(queued.item));
      error = new Error('DynamoDB left them unprocessed (throttled)');
    } catch (err) {
      unwritten = () => true;
      error = err;
    }
    const failed: Queued[] = [];
    for (const queued of batch) {
      if (unwritten(queued)) failed.push(queued);
      else this.done(queued.item.callId);
    }
    if (failed.length === 0) return;
    const givenUp = failed.filter((q) => q.attempt === WRITE_ATTEMPTS);
    const retried = failed.filter((q) => q.attempt < WRITE_ATTEMPTS);
    if (retried.length > 0) {
      this.log.warn('could not store what was said and done on calls; trying again', { error, entries: retried.length });
      for (const attempt of new Set(retried.map((q) => q.attempt))) {
        const again = retried.filter((q) => q.attempt === attempt);
        setTimeout(() => again.forEach((q) => this.enqueue({ item: q.item, attempt: attempt + 1 })), this.retryDelayMs * 2 ** (attempt - 1));
      }
    }
    for (const [callId, items] of groupByCall(givenUp)) {
      // Given up: the log line keeps what the call's history lacks.
      this.log.error('could not store what was said and done on the call', { callId, error, entries: items });
      items.forEach(() => this.done(callId));
    }
  }

  private done(callId: string): void {
    const outstanding = this.outstanding.get(callId);
    if (!outstanding || --outstanding.count > 0) return;
    this.outstanding.delete(callId);
    outstanding.waiters?.forEach((resolve) => resolve());
  }
}

function groupByCall(queued: Queued[]): Map<string, EntryItem[]> {
  const byCall = new Map<string, EntryItem[]>();
  for (const { item } of queued) {
    const items = byCall.get(item.callId);
    if (items) items.push(item);
    else byCall.set(item.callId, [item]);
  }
  return byCall;
}
