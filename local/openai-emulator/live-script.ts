/**
 * Plays a call's `ConversationScript` (scripts.ts, the same steps a Realtime call plays) as the
 * Live API's sideband events, for a call the Live API accepted:
 * - `{ caller }` / `{ agent }`: `session.input_transcript.delta` / `.output_transcript.delta`;
 * - consecutive `{ tool }` steps: one batch in one Responses delegation, which waits for a
 *   `function_call_output` per call and then one `response.create` (live-delegation guide);
 * - `{ dtmf }`: `transport.dtmf.received` per key; `{ transport }`: that call progress event;
 *   `{ drop }`, `{ hangup }`, `{ pause }`, `{ error }`
 *   as on the Realtime API; `{ mcp }` is a script error (GPT-Live has no MCP tools).
 * After each step, `session.usage.updated` with the cumulative seconds. The steps are played as on
 * the Realtime API (script-player.ts).
 */
import { newId } from './ids';
import {
  delegationCreated,
  dtmfReceived,
  functionCallResponse,
  liveError,
  textResponse,
  transcriptDeltas,
  transportProgress,
  usageUpdated,
  type BackendCall,
  type ServerEvent,
} from './live-events';
import { spokenMs } from './events';
import { ScriptPlayer, type PlayerAction, type PlayerHost } from './script-player';
import type { ScriptStep } from './scripts';

/** Silence on the timeline after each spoken turn. */
const SILENCE_MS = 1000;
/** Timeline a step without speech takes (a tool batch), and each DTMF key. */
const STEP_MS = 500;
const KEY_MS = 200;
/** What a function call's output is cut to in the backend's answer that reads it back. */
const OUTPUT_SHOWN = 200;

/** What the runner needs from its session. */
export interface LiveScriptHost extends PlayerHost<ServerEvent> {
  readonly sessionId: string;
  /** The Live API runs the call and it has not ended. */
  live(): boolean;
  /** Destroys the sockets, keeps the session. */
  drop(): void;
  /** The caller hangs up. */
  hangUp(): void;
  /** The session's Responses backend settings, or undefined when it delegates to the application. */
  backend(): Record<string, unknown> | undefined;
}

/** Blocks until the batch has every output and a `response.create`; then its continuation plays. */
type AwaitBatch = { kind: 'await-batch' };

export type LiveAction = PlayerAction<ServerEvent, AwaitBatch>;

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

export class LiveScriptRunner extends ScriptPlayer<ServerEvent, AwaitBatch, LiveScriptHost> {
  private batch: Batch | undefined;
  /** Position on the session's timeline, ms from the accept. */
  private clockMs = 0;

  get timelineMs(): number {
    return this.clockMs;
  }

  /** The model says this, between script turns (and while a batch waits for its outputs). */
  say(text: string): void {
    this.request(() => this.speech('agent', text));
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

  /** The batch goes once it has every output and a `response.create`: the backend answers. */
  protected unblock(): LiveAction[] | undefined {
    const batch = this.batch;
    if (!batch?.continued) return undefined;
    this.batch = undefined;
    return this.continuation(batch);
  }

  /** `session.usage.updated` with the seconds when it is sent (built as it is sent). */
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
  protected begin(step: ScriptStep): boolean {
    if ('caller' in step) this.turn = this.speech('caller', step.caller, step.cutOff ?? false);
    else if ('agent' in step) this.turn = this.speech('agent', step.agent);
    else if ('tool' in step) this.turn = this.toolBatch(step);
    else if ('mcp' in step) {
      this.turn = [send(liveError({ code: 'emulator_script_error', message: `The script calls MCP server '${step.mcp.server}', but GPT-Live has no MCP tools: use a function tool.` }))];
    } else if ('dtmf' in step) {
      this.clockMs += KEY_MS * step.dtmf.length;
      this.turn = [...[...step.dtmf].map((key) => send(dtmfReceived(key))), this.usage()];
    } else if ('transport' in step) this.turn = [send(transportProgress(this.host.sessionId, step.transport))];
    else if ('error' in step) this.turn = [send(liveError(step.error))];
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
