/**
 * Plays a call's `ConversationScript` (scripts.ts, the same steps a Realtime call plays) as the
 * Live API's sideband events, for a call the Live API accepted:
 * - `{ caller }` / `{ agent }`: `session.input_transcript.delta` / `.output_transcript.delta`;
 * - consecutive `{ tool }` steps: one batch in one Responses delegation, which waits for a
 *   `function_call_output` per call and then one `response.create` (live-delegation guide);
 * - `{ dtmf }`: `transport.dtmf.received` per key; `{ drop }`, `{ hangup }`, `{ pause }`, `{ error }`
 *   as on the Realtime API; `{ mcp }` is a script error (GPT-Live has no MCP tools).
 * After each step, `session.usage.updated` with the cumulative seconds.
 *
 * Position is kept per session, event by event, so a socket that drops loses nothing: the next
 * send waits for a re-attach and carries on from there, and no step plays twice.
 */
import { newId } from './ids';
import {
  delegationCreated,
  dtmfReceived,
  functionCallResponse,
  liveError,
  textResponse,
  transcriptDeltas,
  usageUpdated,
  type BackendCall,
  type ServerEvent,
} from './live-events';
import { spokenMs } from './events';
import type { ConversationScript, ScriptStep, Timing } from './scripts';
import type { Timers } from './timers';

/** A caller waits this long at least before speaking, so a greeting sent as the worker attaches comes first. */
const FIRST_WORDS_MS = 200;
/** Silence on the timeline after each spoken turn. */
const SILENCE_MS = 1000;
/** Timeline a step without speech takes (a tool batch), and each DTMF key. */
const STEP_MS = 500;
const KEY_MS = 200;
/** What a function call's output is cut to in the backend's answer that reads it back. */
const OUTPUT_SHOWN = 200;

/** What the runner needs from its session. */
export interface LiveScriptHost {
  /** The Live API runs the call and it has not ended. */
  live(): boolean;
  attached(): boolean;
  send(event: ServerEvent): void;
  /** Destroys the sockets, keeps the session. */
  drop(): void;
  /** The caller hangs up. */
  hangUp(): void;
  /** The session's Responses backend settings, or undefined when it delegates to the application. */
  backend(): Record<string, unknown> | undefined;
}

export type LiveAction =
  /** `event` may be built as it is sent (usage: the seconds at that moment). */
  | { kind: 'send'; event: ServerEvent | (() => ServerEvent) }
  | { kind: 'wait'; ms: number }
  /** Blocks until the batch has every output and a `response.create`; then its continuation plays. */
  | { kind: 'await-batch' };

/** A batch of function calls the backend made in one delegation, and what the client sent for it. */
interface Batch {
  delegationId: string;
  responseId: string;
  calls: BackendCall[];
  outputs: Map<string, string>;
  /** A `response.create` came after the last output. */
  continued: boolean;
}

/** What a client's `response.create` did. */
export type ResponseCreateResult = { kind: 'continued' } | { kind: 'pending'; delegationId: string; missing: string[] } | { kind: 'new-response' };

/** What a client's `function_call_output` did. */
export type ToolOutputResult = 'recorded' | 'unknown-call' | 'duplicate';

export class LiveScriptRunner {
  private turn: LiveAction[] = [];
  private nextStep = 0;
  /** Turns asked for by the client (appended instructions, commentary), built when they start. */
  private readonly requested: (() => LiveAction[])[] = [];
  private batch: Batch | undefined;
  private timer: NodeJS.Timeout | undefined;
  private inGap = false;
  private gapDone = false;
  /** Position on the session's timeline, ms from the accept. */
  private clockMs = 0;

  constructor(
    private readonly script: ConversationScript,
    private readonly timing: Timing,
    private readonly timers: Timers,
    private readonly host: LiveScriptHost,
  ) {}

  /** Runs as far as it can; called on attach, on client events and when a timer fires. */
  kick(): void {
    if (!this.timer) this.advance();
  }

  stop(): void {
    if (this.timer) this.timers.cancel(this.timer);
    this.timer = undefined;
    this.inGap = false;
  }

  get step(): number {
    return this.nextStep;
  }

  get timelineMs(): number {
    return this.clockMs;
  }

  get waitingForToolOutput(): boolean {
    return this.turn[0]?.kind === 'await-batch';
  }

  /** The model says this, between script turns (and while a batch waits for its outputs). */
  say(text: string): void {
    this.request(() => this.speech('agent', text));
  }

  /** Plays these actions between script turns. */
  request(build: () => LiveAction[]): void {
    this.requested.push(build);
    // A greeting should not wait out the gap before the caller's first words.
    if (this.inGap) {
      this.stop();
      this.gapDone = false;
    }
    this.kick();
  }

  /** A `response.item.create` with a `function_call_output`. */
  toolOutput(callId: string, output: string): ToolOutputResult {
    const batch = this.batch;
    if (!batch || !batch.calls.some((call) => call.callId === callId)) return 'unknown-call';
    if (batch.outputs.has(callId)) return 'duplicate';
    batch.outputs.set(callId, output);
    return 'recorded';
  }

  /**
   * A `response.create`: continues the batch once every call has its output (the batch rule);
   * with no batch waiting, asks the backend for a new response.
   */
  responseCreate(): ResponseCreateResult {
    const batch = this.batch;
    if (batch && !batch.continued) {
      const missing = batch.calls.filter((call) => !batch.outputs.has(call.callId)).map((call) => call.callId);
      if (missing.length > 0) return { kind: 'pending', delegationId: batch.delegationId, missing };
      batch.continued = true;
      this.kick();
      return { kind: 'continued' };
    }
    const backend = this.host.backend() ?? {};
    this.request(() => [...textResponse(null, newId('resp'), null, backend, 'OK.').map(send), this.usage()]);
    return { kind: 'new-response' };
  }

  private wait(ms: number, gap: boolean): void {
    this.inGap = gap;
    this.timer = this.timers.after(ms, () => {
      this.timer = undefined;
      this.inGap = false;
      this.advance();
    });
  }

  private advance(): void {
    while (this.host.live()) {
      const head = this.turn[0];
      // Requested turns play between script turns, and also while a batch waits for its outputs.
      if (!head || head.kind === 'await-batch') {
        const requested = this.requested.shift();
        if (requested) {
          this.turn.unshift(...requested());
          continue;
        }
      }
      if (!head) {
        const step = this.script[this.nextStep];
        if (!step) return;
        if (!this.gapDone) {
          this.gapDone = true;
          return this.wait(this.nextStep === 0 ? Math.max(this.timing.stepDelayMs, FIRST_WORDS_MS) : this.timing.stepDelayMs, true);
        }
        this.gapDone = false;
        this.nextStep++;
        if (!this.begin(step)) return;
        continue;
      }
      switch (head.kind) {
        case 'send':
          if (!this.host.attached()) return;
          this.host.send(typeof head.event === 'function' ? head.event() : head.event);
          this.turn.shift();
          break;
        case 'wait':
          this.turn.shift();
          return this.wait(head.ms, false);
        case 'await-batch': {
          const batch = this.batch;
          if (!batch?.continued) return;
          this.turn.shift();
          this.batch = undefined;
          this.turn.unshift(...this.continuation(batch));
          break;
        }
      }
    }
  }

  /** `session.usage.updated` with the seconds when it is sent. */
  private usage(): LiveAction {
    return { kind: 'send', event: () => usageUpdated(this.clockMs) };
  }

  /** A spoken turn: fragments as the words are heard (paced by `msPerWord`), then usage. */
  private speech(who: 'caller' | 'agent', text: string, cutOff = false): LiveAction[] {
    const start = this.clockMs;
    const all = transcriptDeltas(who, text, start);
    const heard = cutOff ? Math.ceil(all.length / 2) : all.length;
    // A line cut off mid-sentence lasts as long as the words that were heard.
    const lasted = cutOff ? (all[heard - 1]?.endMs ?? start) - start : spokenMs(text);
    this.clockMs = start + lasted + SILENCE_MS;
    const actions: LiveAction[] = [];
    for (const { event, words } of all.slice(0, heard)) {
      if (this.timing.msPerWord > 0) actions.push({ kind: 'wait', ms: words * this.timing.msPerWord });
      actions.push(send(event));
    }
    return [...actions, this.usage()];
  }

  /**
   * Consecutive tool steps from `first` are one batch: the backend calls them all in one response
   * of one delegation, then waits for every output and one `response.create`.
   */
  private toolBatch(first: Extract<ScriptStep, { tool: string }>): LiveAction[] {
    const steps = [first];
    for (let next = this.script[this.nextStep]; next && 'tool' in next; next = this.script[this.nextStep]) {
      steps.push(next);
      this.nextStep++;
    }
    const backend = this.host.backend();
    if (!backend) {
      return [send(liveError({ code: 'emulator_script_error', message: 'The script calls a tool, but the session has no Responses delegation (delegation.type "responses") to call it.' }))];
    }
    const calls = steps.map((step) => ({ itemId: newId('fc', 12), callId: newId('call', 12), name: step.tool, arguments: JSON.stringify(step.args ?? {}) }));
    const batch: Batch = { delegationId: newId('dlg', 12), responseId: newId('resp'), calls, outputs: new Map(), continued: false };
    this.batch = batch;
    const offset = this.clockMs;
    this.clockMs += STEP_MS;
    return [
      send(delegationCreated(batch.delegationId, batch.responseId, offset)),
      ...functionCallResponse(batch.delegationId, batch.responseId, backend, calls).map(send),
      this.usage(),
      { kind: 'await-batch' },
    ];
  }

  /** The backend's answer once the batch has its outputs and a `response.create`. */
  private continuation(batch: Batch): LiveAction[] {
    const outputs = batch.calls.map((call) => batch.outputs.get(call.callId) ?? '').join('; ');
    const text = `Here is what I found: ${outputs.slice(0, OUTPUT_SHOWN)}`;
    this.clockMs += STEP_MS;
    return [...textResponse(batch.delegationId, newId('resp'), batch.responseId, this.host.backend() ?? {}, text, outputs).map(send), this.usage()];
  }

  /** Starts a step; false when the step ends the run (a hang-up). */
  private begin(step: ScriptStep): boolean {
    if ('caller' in step) this.turn = this.speech('caller', step.caller, step.cutOff ?? false);
    else if ('agent' in step) this.turn = this.speech('agent', step.agent);
    else if ('tool' in step) this.turn = this.toolBatch(step);
    else if ('mcp' in step) {
      this.turn = [send(liveError({ code: 'emulator_script_error', message: `The script calls MCP server '${step.mcp.server}', but GPT-Live has no MCP tools: use a function tool.` }))];
    } else if ('dtmf' in step) {
      this.clockMs += KEY_MS * step.dtmf.length;
      this.turn = [...[...step.dtmf].map((key) => send(dtmfReceived(key))), this.usage()];
    } else if ('error' in step) this.turn = [send(liveError(step.error))];
    else if ('pause' in step) {
      this.clockMs += step.pause;
      this.turn = [{ kind: 'wait', ms: step.pause }, this.usage()];
    } else if ('drop' in step) this.host.drop();
    else {
      this.host.hangUp();
      return false;
    }
    return true;
  }
}

const send = (event: ServerEvent): LiveAction => ({ kind: 'send', event });
