import { agentTurn, callerTurn, dtmf, errorEvent, mcpCall, mcpListing, spokenMs, toolCall, type Action, type ServerEvent, type SessionMcpTool } from './events';
import { ScriptPlayer, type PlayerHost } from './script-player';
import type { McpStep, ScriptStep } from './scripts';

/** What the runner needs from its call. */
export interface ScriptHost extends PlayerHost<ServerEvent> {
  /** Destroys the sockets, keeps the call. */
  drop(): void;
  /** The caller hangs up. */
  hangUp(): void;
  /** The session's `mcp` tools now. */
  mcpTools(): SessionMcpTool[];
}

type AwaitTool = Extract<Action, { kind: 'await-tool' }>;

/** Plays one call's script as the Realtime API's events (script-player.ts plays the steps). */
export class ScriptRunner extends ScriptPlayer<ServerEvent, AwaitTool, ScriptHost> {
  private readonly toolOutputs = new Set<string>();
  /** Position in the caller's audio stream, for `audio_start_ms`. */
  private audioMs = 0;
  /** MCP servers whose tools have been listed, by label. */
  private readonly listed = new Set<string>();

  toolOutput(callId: string): void {
    this.toolOutputs.add(callId);
  }

  /** A client `response.create`: completes an awaited tool call, or asks for an agent turn. */
  responseCreate(speech: string): void {
    const head = this.turn[0];
    if (head?.kind === 'await-tool' && this.toolOutputs.has(head.callId)) {
      this.turn.shift();
      this.kick();
    } else {
      const turn = agentTurn(speech, this.timing.msPerWord);
      this.request(() => turn);
    }
  }

  /**
   * The session has these MCP servers (after accept or a `session.update`): the ones not listed
   * yet are, ahead of the script's next turn. The tools a server lists are its `allowed_tools`,
   * or else the ones the script calls on it.
   */
  listMcpTools(tools: readonly SessionMcpTool[]): void {
    const fresh = tools.filter((t) => !this.listed.has(t.server_label));
    if (fresh.length === 0) return;
    const listings = fresh.map((tool) => {
      this.listed.add(tool.server_label);
      const allowed = Array.isArray(tool.allowed_tools) ? tool.allowed_tools.filter((n): n is string => typeof n === 'string') : undefined;
      const called = this.script.flatMap((step) => ('mcp' in step && step.mcp.server === tool.server_label ? [step.mcp.tool] : []));
      const listing = mcpListing(tool, allowed ?? [...new Set(called)]);
      return () => listing;
    });
    this.request(...listings);
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

  /** An awaited tool call goes once `responseCreate` has its output, and not from here. */
  protected unblock(): undefined {
    return undefined;
  }

  /** Starts a step; false when the step ends the run (a hang-up). */
  protected begin(step: ScriptStep): boolean {
    const { msPerWord } = this.timing;
    if ('caller' in step) {
      this.turn = callerTurn(step.caller, step.cutOff ?? false, msPerWord, this.audioMs);
      this.audioMs += spokenMs(step.caller) + 1000; // a second of silence between turns
    } else if ('agent' in step) this.turn = agentTurn(step.agent, msPerWord);
    else if ('tool' in step) this.turn = toolCall(step.tool, step.args ?? {});
    else if ('mcp' in step) this.turn = this.mcpTurn(step.mcp);
    else if ('dtmf' in step) this.turn = dtmf(step.dtmf);
    else if ('transport' in step) this.turn = [{ kind: 'send', event: errorEvent({ type: 'invalid_request_error', code: 'emulator_script_error', message: 'The script has a transport step, but the Realtime API sends no transport.* events: it is GPT-Live\'s.' }) }];
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
