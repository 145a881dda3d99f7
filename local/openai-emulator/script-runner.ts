import { agentTurn, callerTurn, dtmf, errorEvent, mcpCall, mcpListing, spokenMs, toolCall, type Action, type ServerEvent, type SessionMcpTool } from './events';
import type { ConversationScript, McpStep, ScriptStep, Timing } from './scripts';
import type { Timers } from './timers';

/**
 * A caller waits this long at least for the line to answer before speaking, so that a greeting
 * sent as the worker attaches comes first even when a loaded machine slows the worker down.
 */
const FIRST_WORDS_MS = 200;

/** What the runner needs from its call. */
export interface ScriptHost {
  live(): boolean;
  attached(): boolean;
  send(event: ServerEvent): void;
  /** Destroys the sockets, keeps the call. */
  drop(): void;
  /** The caller hangs up. */
  hangUp(): void;
  /** The session's `mcp` tools now. */
  mcpTools(): SessionMcpTool[];
}

/**
 * Plays one call's script. Position is kept per call, event by event, so a socket that drops
 * loses nothing: the next `send` waits for a re-attach and carries on from there. At most one
 * timer is pending per call, and only while a gap or some speech is in progress.
 */
export class ScriptRunner {
  /** What is left of the turn in progress. */
  private turn: Action[] = [];
  private nextStep = 0;
  /** Agent turns asked for by the client's `response.create`; played between script turns. */
  private readonly requested: Action[][] = [];
  private readonly toolOutputs = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private inGap = false;
  private gapDone = false;
  /** Position in the caller's audio stream, for `audio_start_ms`. */
  private audioMs = 0;
  /** MCP servers whose tools have been listed, by label. */
  private readonly listed = new Set<string>();

  constructor(
    private readonly script: ConversationScript,
    private readonly timing: Timing,
    private readonly timers: Timers,
    private readonly host: ScriptHost,
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

  get waitingForToolOutput(): boolean {
    return this.turn[0]?.kind === 'await-tool';
  }

  toolOutput(callId: string): void {
    this.toolOutputs.add(callId);
  }

  /** A client `response.create`: completes an awaited tool call, or asks for an agent turn. */
  responseCreate(speech: string): void {
    const head = this.turn[0];
    if (head?.kind === 'await-tool' && this.toolOutputs.has(head.callId)) {
      this.turn.shift();
    } else {
      this.requested.push(agentTurn(speech, this.timing.msPerWord));
      // A greeting should not wait out the gap before the caller's first words.
      if (this.inGap) {
        this.stop();
        this.gapDone = false;
      }
    }
    this.kick();
  }

  /**
   * The session has these MCP servers (after accept or a `session.update`): the ones not listed
   * yet are, ahead of the script's next turn. The tools a server lists are its `allowed_tools`,
   * or else the ones the script calls on it.
   */
  listMcpTools(tools: readonly SessionMcpTool[]): void {
    const fresh = tools.filter((t) => !this.listed.has(t.server_label));
    if (fresh.length === 0) return;
    for (const tool of fresh) {
      this.listed.add(tool.server_label);
      const allowed = Array.isArray(tool.allowed_tools) ? tool.allowed_tools.filter((n): n is string => typeof n === 'string') : undefined;
      const called = this.script.flatMap((step) => ('mcp' in step && step.mcp.server === tool.server_label ? [step.mcp.tool] : []));
      this.requested.push(mcpListing(tool, allowed ?? [...new Set(called)]));
    }
    if (this.inGap) {
      this.stop();
      this.gapDone = false;
    }
    this.kick();
  }

  private mcpTurn(step: McpStep): Action[] {
    const tool = this.host.mcpTools().find((t) => t.server_label === step.server);
    const allowed = Array.isArray(tool?.allowed_tools) ? (tool.allowed_tools as unknown[]) : undefined;
    const refusal = !tool
      ? `The script calls MCP server '${step.server}', which the session does not have.`
      : allowed && !allowed.includes(step.tool)
        ? `The script calls MCP tool '${step.tool}', which allowed_tools of server '${step.server}' leaves out.`
        : undefined;
    if (refusal) return [{ kind: 'send', event: errorEvent({ type: 'invalid_request_error', code: 'emulator_script_error', message: refusal }) }];
    const result = 'output' in step ? { output: step.output } : { error: typeof step.error === 'string' ? { type: 'tool_execution_error' as const, message: step.error } : step.error };
    return mcpCall(step.server, step.tool, step.args ?? {}, result);
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
      // Requested agent turns play between script turns, and also while a tool call is pending.
      if (!head || head.kind === 'await-tool') {
        const requested = this.requested.shift();
        if (requested) {
          this.turn.unshift(...requested);
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
          this.host.send(head.event);
          this.turn.shift();
          break;
        case 'wait':
          this.turn.shift();
          return this.wait(head.ms, false);
        case 'await-tool':
          return;
      }
    }
  }

  /** Starts a step; false when the step ends the run (a hang-up). */
  private begin(step: ScriptStep): boolean {
    const { msPerWord } = this.timing;
    if ('caller' in step) {
      this.turn = callerTurn(step.caller, step.cutOff ?? false, msPerWord, this.audioMs);
      this.audioMs += spokenMs(step.caller) + 1000; // a second of silence between turns
    } else if ('agent' in step) this.turn = agentTurn(step.agent, msPerWord);
    else if ('tool' in step) this.turn = toolCall(step.tool, step.args ?? {});
    else if ('mcp' in step) this.turn = this.mcpTurn(step.mcp);
    else if ('dtmf' in step) this.turn = dtmf(step.dtmf);
    else if ('error' in step) this.turn = [{ kind: 'send', event: errorEvent(step.error) }];
    else if ('pause' in step) this.turn = [{ kind: 'wait', ms: step.pause }];
    else if ('drop' in step) this.host.drop();
    else {
      this.host.hangUp();
      return false;
    }
    return true;
  }
}
