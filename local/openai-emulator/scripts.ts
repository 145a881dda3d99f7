import type { McpCallError } from './events';

/**
 * What the caller (and the model) do on a call's sideband once it is accepted. A script is plain
 * data: one step per line, run in order, once per call (a re-attached socket continues it).
 */
export type ScriptStep =
  /** The caller says this. `cutOff`: the line dies mid-sentence, so the transcript never completes. */
  | { caller: string; cutOff?: boolean }
  /** The model says this, unprompted by the client (e.g. its answer to the caller's last words). */
  | { agent: string }
  /** The model calls a function; the script then waits for its output and a `response.create`. */
  | { tool: string; args?: Record<string, unknown> }
  /**
   * The model calls `tool` on the session's MCP server labelled `server`, and the Realtime engine
   * runs it: the server answers `output`, or the call fails with `error` (text: a
   * tool_execution_error). Nothing waits for the client. A server the session lacks, or a tool
   * its `allowed_tools` leave out, is an error event instead (the script is wrong).
   */
  | { mcp: McpStep }
  /** The caller presses keys, one event per key. */
  | { dtmf: string }
  /**
   * GPT-Live's SIP call progress of an outbound leg (`transport.ringing`, `transport.answered`,
   * `transport.failed` with the setup failure's code). Whether a transfer's REFER reports them is
   * unconfirmed; a script plays them where a test needs them. The Realtime API has no such events:
   * there the step is a script error.
   */
  | { transport: 'ringing' | 'answered' | { failed: { code: string; message: string } } }
  /** A recoverable `error` event; the session stays open. */
  | { error: { type: string; code: string; message: string } }
  | { pause: number }
  /** The socket dies without a close frame; the call stays live and the script waits for a re-attach. */
  | { drop: true }
  /** The caller hangs up: sockets die without a close frame and the call ends. */
  | { hangup: true };

export type McpStep = { server: string; tool: string; args?: Record<string, unknown> } & ({ output: string } | { error: string | McpCallError });

/** When the steps run out the call stays live until `/hangup`, `/refer` or `endCall()`. */
export type ConversationScript = readonly ScriptStep[];

/** The scripts `switchboard simulate` plays. */
export const SCRIPTS = {
  question: [
    { caller: 'Hi, what time do you open tomorrow?' },
    { agent: 'We open at nine in the morning and close at five.' },
    { caller: 'Great, thank you!' },
    { hangup: true },
  ],
  transfer: [
    { caller: 'Can I talk to someone in sales, please?' },
    { tool: 'transfer_call', args: { target: 'sales' } },
    { agent: 'Sure, connecting you to sales now.' },
  ],
  'agent-ends': [
    { caller: "That's all I needed, goodbye." },
    { tool: 'end_call', args: {} },
    { agent: 'Thanks for calling, goodbye!' },
  ],
  'hangup-mid-sentence': [
    { caller: 'Hello, I was wondering whether you could tell me about', cutOff: true },
    { hangup: true },
  ],
} as const satisfies Record<string, ConversationScript>;

export type ScriptName = keyof typeof SCRIPTS;

/** How fast a script plays: a gap before each step, and how long a spoken word lasts. */
export interface Timing {
  stepDelayMs: number;
  msPerWord: number;
}

export const TIMING = {
  /** Tests and benchmarks: every step 20 ms apart, speech takes no time. */
  fast: { stepDelayMs: 20, msPerWord: 0 },
  /** The demo: roughly the pace of a phone conversation. */
  realistic: { stepDelayMs: 700, msPerWord: 350 },
} as const satisfies Record<string, Timing>;
