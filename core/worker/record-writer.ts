import type { CallAction, TokenUsage, TranscriptEntry } from '../calls/record';
import type { Log } from '../runtime/log';
import type { CallUpdate, LiveCalls } from '../store/live-call-store';

/** Most transcript entries in one write, so that a backlog (the store was down) stays within DynamoDB's expression limits. */
const MAX_ENTRIES_PER_WRITE = 25;
/** Tries per write, on top of the SDK's own retries: an outage of a few seconds loses nothing. */
const WRITE_ATTEMPTS = 3;

/**
 * Writes what happens on a call to its record as it happens, in order and one write at a time.
 * What arrives while a write is in flight (an agent's transcript and its token usage arrive
 * together) goes out in the next write, so a busy call makes fewer requests, and nothing waits
 * for a timer.
 */
export class RecordWriter {
  /** What is waiting for the next write; none on most calls most of the time. */
  private pending: CallUpdate | undefined;
  private writing: Promise<void> | undefined;

  constructor(
    private readonly store: Pick<LiveCalls, 'append'>,
    private readonly callId: string,
    private readonly log: Log,
    /** Wait before the second try of a failed write; doubled before the third. */
    private readonly retryDelayMs = 1000,
  ) {}

  transcript(entry: TranscriptEntry): void {
    this.next().transcript.push(entry);
    this.write();
  }

  action(action: CallAction): void {
    this.next().actions.push(action);
    this.write();
  }

  usage({ inputTokens, outputTokens, totalTokens }: TokenUsage): void {
    const next = this.next();
    const sum = next.usage ?? { inputTokens: 0, outputTokens: 0, totalTokens: 0 };
    next.usage = { inputTokens: sum.inputTokens + inputTokens, outputTokens: sum.outputTokens + outputTokens, totalTokens: sum.totalTokens + totalTokens };
    this.write();
  }

  /** Resolves once everything handed in so far is written (or, failing that, logged). */
  settled(): Promise<void> {
    return this.writing ?? Promise.resolve();
  }

  private next(): CallUpdate {
    return (this.pending ??= { transcript: [], actions: [] });
  }

  private write(): void {
    this.writing ??= this.drain();
  }

  private async drain(): Promise<void> {
    // Events that arrived in the same read from the socket join the first write.
    await new Promise((resolve) => setImmediate(resolve));
    while (this.pending) {
      const update = this.pending;
      const rest = update.transcript.splice(MAX_ENTRIES_PER_WRITE);
      this.pending = rest.length > 0 ? { transcript: rest, actions: [] } : undefined;
      for (let attempt = 1; ; attempt++) {
        try {
          await this.store.append(this.callId, update);
          break;
        } catch (err) {
          if (attempt === WRITE_ATTEMPTS) {
            // Given up: the log line keeps what the record lacks.
            this.log.error('could not store what was said and done on the call', { error: err, update });
            break;
          }
          this.log.warn('could not store what was said and done on the call; trying again', { error: err, attempt });
          await new Promise((resolve) => setTimeout(resolve, this.retryDelayMs * 2 ** (attempt - 1)));
        }
      }
    }
    this.writing = undefined;
  }
}
