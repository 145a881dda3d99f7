export type Verb = 'accept' | 'reject' | 'refer' | 'hangup';

/**
 * A failure to inject into the next call-control request(s):
 * - `status`: answer with this status and an error body; the call does not change.
 * - `delayMs`: wait this long, then handle the request normally (a slow API).
 * - `answerAfterMs`: handle the request at once, answer only after this long (it lands, the
 *   client may time out first).
 * - `ignore`: answer 200 and change nothing (the `/refer` that never transfers).
 */
export type Fault = ({ status: number } | { delayMs: number } | { answerAfterMs: number } | { ignore: true }) & { times?: number };

/**
 * A failure to inject into the next `POST /v1/responses` request(s), queued under the verb
 * `responses` and the key `'*'` (a response belongs to no call):
 * - `status`: answer with this status and an error body (a 429 carries `retry-after: 1`).
 * - `delayMs`: wait this long, then handle the request normally.
 * - `refusal`: answer 200 with a message whose only content is this refusal, not output text.
 */
export type ResponsesFault = ({ status: number } | { delayMs: number } | { refusal: string }) & { times?: number };

/** Faults queued per call and verb; a call's own queue goes before the `'*'` one. */
export class Faults {
  private readonly queues = new Map<string, { fault: Fault | ResponsesFault; left: number }[]>();

  add(callId: string | '*', verb: Verb, fault: Fault): void;
  add(callId: '*', verb: 'responses', fault: ResponsesFault): void;
  add(callId: string, verb: Verb | 'responses', fault: Fault | ResponsesFault): void {
    const key = `${verb} ${callId}`;
    const queue = this.queues.get(key) ?? [];
    queue.push({ fault, left: fault.times ?? 1 });
    this.queues.set(key, queue);
  }

  take(callId: string, verb: Verb): Fault | undefined;
  take(callId: '*', verb: 'responses'): ResponsesFault | undefined;
  take(callId: string, verb: Verb | 'responses'): Fault | ResponsesFault | undefined {
    return this.takeFrom(`${verb} ${callId}`) ?? this.takeFrom(`${verb} *`);
  }

  private takeFrom(key: string): Fault | ResponsesFault | undefined {
    const queue = this.queues.get(key);
    const head = queue?.[0];
    if (!queue || !head) return undefined;
    if (--head.left <= 0) queue.shift();
    if (queue.length === 0) this.queues.delete(key);
    return head.fault;
  }
}
