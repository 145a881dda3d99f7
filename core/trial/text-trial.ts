import { randomBytes } from 'node:crypto';
import type { CallAction, CallRecord, TranscriptEntry } from '../calls/record';
import { routeCall, type AcceptDecision } from '../calls/route';
import type { NumberConfig, NumberTool } from '../numbers/config';
import type { Day } from '../openai/models';
import { toolRequestBody, type HttpToolCall, type HttpToolResult } from '../tools/http-tool';
import { recordedArguments } from '../tools/redact';
import type { ReadSecret } from '../tools/secret-headers';
import { eventClock } from '../worker/event-clock';
import { END_CALL_OUTPUT, planFunctionCall, toolResultDetails } from '../worker/tools';

/**
 * `switchboard try`: a text conversation with the number's agent, set up as the number would be
 * answered: the same instructions (filled in for the caller given), tools and greeting. It talks
 * to a TrialModel: a Realtime session of its own (realtime-trial-model.ts), or a GPT-Live
 * agent's backend (live-backend-trial-model.ts). The agent's function calls are handled as the
 * call worker handles them (planFunctionCall): HTTP tools run for real, or are shown as the
 * request they would send (dry run); a transfer or a hang-up is shown and ends the conversation.
 * What happens is kept as a call record holds it.
 */

/** What a model is opened with: how the number would be answered, and where it notes what it did. */
export interface TrialOpening {
  decision: AcceptDecision;
  config: NumberConfig;
  readSecret?: ReadSecret;
  /** An action on the conversation's timeline (MCP set up, an error OpenAI sent). */
  note: (type: string, details?: Record<string, unknown>) => void;
}

/** What the trial converses with: items join its conversation, and it answers when asked. */
export interface TrialModel {
  /** Whether the agent says a tool's whileWaiting words while the tool runs. */
  readonly saysWhileWaiting: boolean;
  open(opening: TrialOpening): Promise<void>;
  /** The agent says exactly these words (the greeting, a tool's whileWaiting). */
  sayExactly(words: string): Promise<ResponseDone>;
  /** The caller's words join the conversation; the id of their line. */
  hear(words: string): string;
  /** A function call's output joins the conversation. */
  answer(toolCallId: string, output: string): void;
  /** The agent's response to the conversation so far. */
  respond(): Promise<ResponseDone>;
  close(): void;
}

export interface TrialInit {
  config: NumberConfig;
  /** E.164 or 'anonymous': fills `{{caller}}`. */
  caller: string;
  /** Fill `{{name}}` as a number's lookup would. */
  variables?: Record<string, string>;
  on: Day;
  model: TrialModel;
  /** Runs an HTTP tool; absent for a dry run, which shows the request instead. */
  runTool?: (call: HttpToolCall) => Promise<HttpToolResult>;
  /** Fills MCP servers' `{{secret:NAME}}` headers; absent: servers that need one are left out. */
  readSecret?: ReadSecret;
  /** Told each time the record changes (a line said, an action taken). */
  onChange?: (record: CallRecord) => void;
}

/** OpenAI refused something the trial sent, or did not answer: the message says what. */
export class TrialError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TrialError';
  }
}

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

export interface FunctionCall {
  callId: string;
  name: string;
  arguments: string;
}

/** One response of the agent's: what it said, the functions it called, what it used. */
export interface ResponseDone {
  said: { id: string; text: string }[];
  calls: FunctionCall[];
  usage?: { input_tokens?: number; output_tokens?: number; total_tokens?: number };
  status?: string;
}

export class TextTrial {
  readonly record: CallRecord;
  private readonly init: TrialInit;
  /** The timeline reads in this order, several lines a millisecond included (core/worker/event-clock.ts). */
  private readonly at = eventClock(Date.now);

  constructor(init: TrialInit) {
    this.init = init;
    this.record = {
      callId: `try_${randomBytes(8).toString('hex')}`,
      number: init.config.number,
      caller: init.caller,
      startedAt: new Date().toISOString(),
      outcome: 'active',
      ...(init.config.label && { label: init.config.label }),
      transcript: [],
      actions: [],
      usage: { inputTokens: 0, outputTokens: 0, totalTokens: 0 },
    };
  }

  /** Whether the conversation is over (the agent hung up or transferred the caller). */
  get over(): boolean {
    return this.record.outcome !== 'active';
  }

  /** Sets the conversation up as the number would be answered, then lets the agent greet. */
  async start(): Promise<void> {
    const decision = routeCall({ number: this.init.config.number, caller: this.init.caller }, this.init.config, 0, this.init.on, {
      status: 'answered',
      durationMs: 0,
      httpStatus: 200,
      ...(this.init.variables && { variables: this.init.variables }),
    });
    if (decision.kind === 'reject') throw new TrialError(`the number would turn every call away (${decision.reason}): enable it and give it an agent`);
    if (decision.engine === 'live') this.record.engine = 'live';
    await this.init.model.open({ decision, config: this.init.config, readSecret: this.init.readSecret, note: (type, details) => this.action(type, details) });
    if (decision.greeting) {
      this.action('greeting');
      await this.converse(this.counted(this.init.model.sayExactly(decision.greeting)));
    }
  }

  /** The caller says `words`; resolves once the agent has answered (its tool calls included). */
  async say(words: string): Promise<void> {
    if (this.over) throw new TrialError('the conversation is over');
    const id = this.init.model.hear(words);
    this.line({ role: 'caller', text: words, id });
    await this.converse();
  }

  /** The caller leaves: the record is closed as the worker closes a call the caller hung up. */
  finish(): CallRecord {
    if (!this.over) this.end({ outcome: 'completed', reason: 'caller-hung-up' });
    this.init.model.close();
    return this.record;
  }

  /** One turn of the agent's: a response, and one after each batch of tool answers, until it only speaks. */
  private async converse(first: Promise<ResponseDone> = this.respond()): Promise<void> {
    let done = await first;
    for (;;) {
      this.spoke(done);
      if (done.calls.length === 0 || this.over) return;
      let answerWanted = false;
      for (const call of done.calls) {
        const next = await this.handle(call);
        if (next === 'answer') answerWanted = true;
        if (next === 'goodbye') {
          // As on a call: the agent says goodbye (if it has not), and the line is hung up after it.
          this.spoke(await this.respond());
          this.action('hangup');
          return this.end({ outcome: 'completed', reason: 'agent-hung-up' });
        }
        if (this.over) return;
      }
      if (!answerWanted) return;
      done = await this.respond();
    }
  }

  /** Handles one function call as the worker would; says whether the model should answer it. */
  private async handle(call: FunctionCall): Promise<'answer' | 'goodbye' | 'none'> {
    const planned = planFunctionCall(this.init.config, call.name, call.arguments);
    switch (planned.kind) {
      case 'transfer':
        this.init.model.answer(call.callId, planned.plan.output);
        if (planned.plan.kind === 'refuse') {
          this.action('transfer-refused', { toolCallId: call.callId, arguments: call.arguments });
          return 'answer';
        }
        this.action('transfer', { toolCallId: call.callId, target: planned.plan.name, uri: planned.plan.uri });
        this.end({ outcome: 'transferred', reason: 'transferred', transferTarget: planned.plan.uri });
        return 'none';
      case 'end-call':
        this.init.model.answer(call.callId, END_CALL_OUTPUT);
        this.action('end-call', { toolCallId: call.callId });
        return 'goodbye';
      case 'http-tool':
        await this.runTool(planned.tool, call);
        return 'answer';
      case 'refuse':
        this.init.model.answer(call.callId, planned.output);
        this.action('tool-refused', { toolCallId: call.callId, name: call.name });
        return 'answer';
    }
  }

  private async runTool(tool: NumberTool, call: FunctionCall): Promise<void> {
    const recorded = recordedArguments(call.arguments, tool.redact ?? []);
    this.action('tool-call', { toolCallId: call.callId, name: tool.name, arguments: recorded });
    const request: HttpToolCall = {
      tool,
      toolCallId: call.callId,
      rawArguments: call.arguments,
      call: { callId: this.record.callId, number: this.record.number, caller: this.record.caller, label: this.record.label },
    };
    if (!this.init.runTool) {
      // The request as it would go out, secrets as their references: a dry run sends nothing.
      this.action('tool-dry-run', {
        toolCallId: call.callId,
        name: tool.name,
        request: { method: 'POST', url: tool.url, headers: tool.headers ?? {}, body: JSON.parse(toolRequestBody(request, recorded)) },
      });
      this.init.model.answer(call.callId, JSON.stringify({ error: `the ${tool.name} tool was not run (a dry run): tell the caller you cannot look that up right now` }));
      return;
    }
    const filler = this.init.model.saysWhileWaiting ? tool.whileWaiting : undefined;
    let waiting: NodeJS.Timeout | undefined;
    let fillerSaid: Promise<void> | undefined;
    if (filler) {
      waiting = setTimeout(() => {
        this.action('tool-waiting', { words: filler });
        fillerSaid = this.counted(this.init.model.sayExactly(filler)).then((done) => this.spoke(done));
      }, tool.whileWaitingAfterMs);
    }
    const result = await this.init.runTool(request);
    clearTimeout(waiting);
    // OpenAI refuses a second active response: the filler's finishes first.
    await fillerSaid;
    this.init.model.answer(call.callId, result.output);
    this.action('tool-result', toolResultDetails(tool, call.callId, result));
  }

  /** The agent's response: its usage counted, a failed or cut-short one on the timeline. */
  private respond(): Promise<ResponseDone> {
    return this.counted(this.init.model.respond());
  }

  private async counted(responding: Promise<ResponseDone>): Promise<ResponseDone> {
    const done = await responding;
    this.addUsage(done.usage);
    if (done.status === 'failed' || done.status === 'incomplete') this.action('error', { code: `response-${done.status}`, message: `the response ended ${done.status}` });
    return done;
  }

  /** What the agent said, as its lines. */
  private spoke(done: ResponseDone): void {
    for (const said of done.said) this.line({ role: 'agent', text: said.text, id: said.id });
  }

  private line(entry: Omit<TranscriptEntry, 'at'>): void {
    if (!entry.text.trim()) return;
    this.record.transcript.push({ ...entry, at: this.at() });
    this.init.onChange?.(this.record);
  }

  private action(type: string, details: Record<string, unknown> = {}): void {
    this.record.actions.push({ type, at: this.at(), ...details } as CallAction);
    this.init.onChange?.(this.record);
  }

  private end(ending: Pick<CallRecord, 'outcome' | 'reason' | 'transferTarget'>): void {
    const endedAt = this.at();
    Object.assign(this.record, ending, { endedAt, durationSeconds: Math.round((Date.parse(endedAt) - Date.parse(this.record.startedAt)) / 1000) });
    this.init.onChange?.(this.record);
  }

  private addUsage(usage: ResponseDone['usage']): void {
    if (!usage) return;
    this.record.usage.inputTokens += usage.input_tokens ?? 0;
    this.record.usage.outputTokens += usage.output_tokens ?? 0;
    this.record.usage.totalTokens += usage.total_tokens ?? 0;
  }
}

/** A response's output (a Realtime `response.done`'s, or a Responses API `Response`'s: they share the shape): the messages' words, the function calls, the usage. */
export function responseDoneOf(response: Json): ResponseDone {
  const output = Array.isArray(response.output) ? response.output.filter(isObject) : [];
  const done: ResponseDone = { said: [], calls: [], status: typeof response.status === 'string' ? response.status : undefined };
  for (const item of output) {
    if (item.type === 'message') {
      const parts = Array.isArray(item.content) ? item.content.filter(isObject) : [];
      const text = parts.map((part) => (typeof part.text === 'string' ? part.text : typeof part.transcript === 'string' ? part.transcript : '')).join('');
      done.said.push({ id: String(item.id ?? ''), text });
    } else if (item.type === 'function_call') {
      done.calls.push({ callId: String(item.call_id ?? ''), name: String(item.name ?? ''), arguments: typeof item.arguments === 'string' ? item.arguments : '' });
    }
  }
  if (isObject(response.usage)) done.usage = response.usage as ResponseDone['usage'];
  return done;
}
