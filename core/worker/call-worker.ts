import { greetingFor } from '../calls/route';
import { LiveCallSession } from './live-call-session';
import type OpenAI from 'openai';
import type { CallDelivery, CallSource } from '../queue/call-queue';
import { CALL_VISIBILITY_SECONDS, HEARTBEAT_SECONDS } from '../runtime/contract';
import type { Log } from '../runtime/log';
import type { HttpToolCall, HttpToolResult } from '../tools/http-tool';
import type { ReadSecret } from '../tools/secret-headers';
import type { CallEnding, LiveCalls } from '../store/live-call-store';
import type { NumbersStore } from '../store/numbers-store';
import { CallSession, DEFAULT_SESSION_TIMINGS, type SessionEnd, type SessionServices, type SessionTimings } from './call-session';
import { EntryWriter } from './entry-writer';
import type { Sideband } from './sideband';

export interface WorkerTimings extends SessionTimings {
  /** How often a held call's queue message and lease are extended, counted from when it was taken. */
  heartbeatMs: number;
  /** Visibility given to a held call's message, and the lease's length: a dead worker's calls come back after it. */
  holdSeconds: number;
  /** Wait after a failed receive before polling the queue again. */
  receiveRetryMs: number;
}

export const DEFAULT_WORKER_TIMINGS: WorkerTimings = {
  ...DEFAULT_SESSION_TIMINGS,
  heartbeatMs: HEARTBEAT_SECONDS * 1000,
  holdSeconds: CALL_VISIBILITY_SECONDS,
  receiveRetryMs: 1000,
};

export interface CallWorkerOptions {
  /** Names this worker in leases and logs. */
  id: string;
  source: CallSource;
  store: LiveCalls;
  numbers: Pick<NumbersStore, 'get'>;
  openai: Pick<OpenAI, 'realtime' | 'live'>;
  /** Runs one of a number's HTTP tools; without it, a tool call is answered that the tool is not available. */
  runTool?: (call: HttpToolCall) => Promise<HttpToolResult>;
  /** Reads a tool secret by name, for MCP servers' headers (the tool runner's reader). */
  readSecret?: ReadSecret;
  /** Opens a call's sideband (see `openSideband`). */
  connect: (callId: string) => Promise<Sideband>;
  /** Opens a GPT-Live session's sideband (`/v1/live/sessions/{id}/attach`). */
  connectLive: (sessionId: string) => Promise<Sideband>;
  /** Most calls held at once. */
  capacity: number;
  log: Log;
  timings?: Partial<WorkerTimings>;
  /** Told whenever the number of held calls changes (metrics, scale-in protection). */
  onActiveCalls?: (active: number) => void;
  /** Told when a call this worker held ended (not when it was handed back). */
  onCallEnded?: (ending: CallEnding) => void;
  now?: () => number;
}

interface HeldCall {
  session: Pick<CallSession, 'handBack'>;
  /** The newest delivery of the call's message (an older receipt handle goes stale). */
  delivery: CallDelivery;
  /** Resolves once this worker stopped holding the call (see stopHolding). */
  done: Promise<void>;
  /** When (epoch ms) the lease this worker last wrote runs out. */
  leaseUntil: number;
  /** When (epoch ms) its message and lease were last extended, or it was taken. */
  beatAt: number;
  beating: boolean;
}

/**
 * Takes accepted calls from the queue, as many as it has room for, and holds each on its
 * sideband until it ends. A lease on the call record makes it the call's only owner; the queue
 * message stays hidden while it holds the call and is deleted when the call ends, so a worker
 * that dies loses its calls to another worker, which re-attaches to them.
 */
export class CallWorker {
  private readonly held = new Map<string, HeldCall>();
  private readonly timings: WorkerTimings;
  private readonly now: () => number;
  private readonly stopReceiving = new AbortController();
  private loop: Promise<void> | undefined;
  private slotFreed: (() => void) | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  /** Shared by every session: nothing here is per call. */
  private readonly services: SessionServices;

  constructor(private readonly opts: CallWorkerOptions) {
    this.timings = { ...DEFAULT_WORKER_TIMINGS, ...opts.timings };
    this.now = opts.now ?? Date.now;
    this.services = {
      store: opts.store,
      entries: new EntryWriter(opts.store, opts.log),
      openai: opts.openai,
      connect: opts.connect,
      live: { connect: opts.connectLive },
      runTool: opts.runTool,
      readSecret: opts.readSecret,
      ownsCall: (callId) => this.ownsCall(callId),
      timings: this.timings,
      now: this.now,
    };
  }

  /** Calls held now (the scaling metric). */
  get activeCalls(): number {
    return this.held.size;
  }

  /** False once draining began. */
  get receiving(): boolean {
    return !this.stopReceiving.signal.aborted;
  }

  start(): void {
    // Each call's heartbeat falls due heartbeatMs after its last one, so calls taken at different
    // times are extended at different times: no burst of renewals holds up the calls' writes.
    this.heartbeat = setInterval(() => this.beat(), Math.min(1000, this.timings.heartbeatMs / 4));
    this.loop = this.receiveLoop();
  }

  /**
   * Stops taking calls, lets the held ones run until `deadline` (epoch ms), then hands the rest
   * back (socket closed without hanging up, lease released, message visible again).
   */
  async drain(deadline: number): Promise<{ ended: number; handedBack: number }> {
    this.stopReceiving.abort();
    this.slotFreed?.();
    const before = this.held.size;
    // The receive loop may be in a long poll that cannot be cut short (see SqsCallSource): the held
    // calls' deadline runs meanwhile, not after it, and what the poll brings is given back.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all([...this.held.values()].map((h) => h.done)),
      new Promise<void>((resolve) => (timer = setTimeout(resolve, Math.max(0, deadline - this.now())))),
    ]);
    clearTimeout(timer);
    const unfinished = this.held.size;
    await Promise.all([this.loop, this.handBackAll()]);
    // A call the loop was taking as the drain began is held only now.
    const late = this.held.size;
    await this.handBackAll();
    // What handed-back calls said last is stored before the worker goes.
    await this.services.entries.idle();
    clearInterval(this.heartbeat);
    return { ended: before - unfinished, handedBack: unfinished + late };
  }

  private async handBackAll(): Promise<void> {
    const held = [...this.held.values()];
    for (const { session } of held) session.handBack('drain');
    await Promise.all(held.map((h) => h.done));
  }

  private async receiveLoop(): Promise<void> {
    const signal = this.stopReceiving.signal;
    while (!signal.aborted) {
      const room = this.opts.capacity - this.held.size;
      if (room <= 0) {
        await new Promise<void>((resolve) => (this.slotFreed = resolve));
        continue;
      }
      let deliveries: CallDelivery[];
      try {
        deliveries = await this.opts.source.receive(room, this.timings.holdSeconds, signal);
      } catch (err) {
        if (signal.aborted) break;
        this.opts.log.error('could not receive calls from the queue', { error: err });
        await sleep(this.timings.receiveRetryMs, signal);
        continue;
      }
      for (const delivery of deliveries) {
        if (signal.aborted) {
          await delivery.release().catch(() => undefined);
          continue;
        }
        await this.take(delivery);
      }
    }
  }

  private async take(delivery: CallDelivery): Promise<void> {
    const { callId } = delivery.call;
    const log = this.opts.log.child({ callId });
    const holding = this.held.get(callId);
    if (holding) {
      // Our own message back (a heartbeat missed its visibility) or a duplicate: keep the newest handle.
      holding.delivery = delivery;
      return;
    }
    // The caller hears silence until the greeting: the sideband opens while the lease is written,
    // and nothing is sent on it unless the lease is ours.
    const live = delivery.call.engine === 'live';
    const attaching = live ? this.opts.connectLive(callId) : this.opts.connect(callId);
    const letGo = () => void attaching.then((sideband) => sideband.socket.close(), () => undefined);
    let call;
    const leaseUntil = this.leaseEnd();
    try {
      call = await this.opts.store.acquireLease(callId, this.opts.id, leaseUntil, this.now());
    } catch (err) {
      letGo();
      log.error('could not lease the call; leaving it in the queue', { error: err });
      return;
    }
    if (!call) {
      letGo();
      const record = await this.opts.store.get(callId).catch(() => undefined);
      if (!record || record.outcome !== 'active') {
        // Over (or never accepted): nothing left to hold.
        await delivery.complete().catch((err: unknown) => log.error('could not delete the queue message', { error: err }));
      } else {
        // Left in the queue: it comes back when its visibility runs out, in case that worker dies.
        log.info('another worker holds the call', { owner: record.leaseOwner });
      }
      return;
    }
    const config =
      delivery.call.config ??
      (await this.opts.numbers.get(call.number).catch((err: unknown) => log.error('could not read the number config', { error: err })))?.config;
    const init = {
      call: { ...call, actions: call.actions ?? [] },
      config,
      log,
      acceptUnconfirmed: delivery.call.acceptUnconfirmed || call.acceptUnconfirmed,
      greeting: delivery.call.greeting ?? greetingFor(call, config),
    };
    // A GPT-Live session, or a Realtime call: one record and one lease either way.
    const session = live ? new LiveCallSession(init, { ...this.services, live: { connect: this.opts.connectLive } }) : new CallSession(init, this.services);
    const held: HeldCall = { session, delivery, done: Promise.resolve(), leaseUntil, beatAt: this.now(), beating: false };
    held.done = session.run(attaching).then((end) => this.stopHolding(callId, held, end, log));
    this.held.set(callId, held);
    this.opts.onActiveCalls?.(this.held.size);
    log.info(delivery.receiveCount > 1 ? 'taking over the call' : 'holding the call', { number: call.number, receiveCount: delivery.receiveCount });
  }

  /**
   * Whether this worker still holds a call's lease. Another worker can take it only once it ran
   * out (by that worker's clock), so while at least half of it is left no request is needed;
   * closer to its end, it is renewed.
   */
  private async ownsCall(callId: string): Promise<boolean> {
    const held = this.held.get(callId);
    if (!held) return false;
    if (held.leaseUntil - this.now() > this.timings.holdSeconds * 500) return true;
    return this.renewLease(callId, held);
  }

  /** Extends a held call's lease; false when it was lost. */
  private async renewLease(callId: string, held: HeldCall): Promise<boolean> {
    const until = this.leaseEnd();
    const kept = await this.opts.store.renewLease(callId, this.opts.id, until);
    if (kept) held.leaseUntil = until;
    return kept;
  }

  /** When a lease written now runs out. */
  private leaseEnd(): number {
    return this.now() + this.timings.holdSeconds * 1000;
  }

  /**
   * The session is over: a call that ended has its message deleted, one handed back has its lease
   * and message released, one lost is left to its new owner; either way its slot is freed.
   */
  private async stopHolding(callId: string, held: HeldCall, end: SessionEnd, log: Log): Promise<void> {
    try {
      if (end.kind === 'ended') {
        await held.delivery.complete();
        this.opts.onCallEnded?.(end.ending);
      } else if (end.kind === 'handed-back') {
        await this.opts.store.releaseLease(callId, this.opts.id);
        await held.delivery.release();
        log.info('handed the call back');
      } else {
        // The message and the lease are the new owner's now.
        log.warn('lost the call to another worker');
      }
    } catch (err) {
      log.error('could not settle the queue message or lease', { error: err });
    }
    this.held.delete(callId);
    this.opts.onActiveCalls?.(this.held.size);
    this.slotFreed?.();
    this.slotFreed = undefined;
  }

  /** Keeps held calls' messages hidden and leases current; a call whose lease was lost is let go. */
  private beat(): void {
    const now = this.now();
    for (const [callId, held] of this.held) {
      if (held.beating || now - held.beatAt < this.timings.heartbeatMs) continue;
      held.beating = true;
      held.beatAt = now;
      void this.extend(callId, held).finally(() => (held.beating = false));
    }
  }

  private async extend(callId: string, held: HeldCall): Promise<void> {
    const [extended, kept] = await Promise.allSettled([held.delivery.extend(this.timings.holdSeconds), this.renewLease(callId, held)]);
    if (extended.status === 'rejected') this.opts.log.warn('could not extend the queue message', { callId, error: extended.reason });
    if (kept.status === 'rejected') this.opts.log.warn('could not renew the lease', { callId, error: kept.reason });
    else if (!kept.value) held.session.handBack('lease-lost');
  }

}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}
