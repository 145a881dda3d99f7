import { randomBytes } from 'node:crypto';
import type WebSocket from 'ws';
import type { CallAction, CallRecord, TranscriptEntry } from '../calls/record';
import { routeCall } from '../calls/route';
import type { NumberConfig, NumberTool } from '../numbers/config';
import type { Day } from '../openai/models';
import { toolRequestBody, type HttpToolCall, type HttpToolResult } from '../tools/http-tool';
import { recordedArguments } from '../tools/redact';
import type { ReadSecret } from '../tools/secret-headers';
import { mcpSessionUpdate } from '../worker/mcp-session';
import { eventClock } from '../worker/event-clock';
import { END_CALL_OUTPUT, planFunctionCall, sayExactly, toolResultDetails } from '../worker/tools';

/**
 * `switchboard try`: a text conversation with the number's agent, on a Realtime session of its
 * own (`/v1/realtime?model=...`, text out) set up with the session config the number would be
 * answered with: the same instructions (filled in for the caller given), tools and greeting.
 * The agent's function calls are handled as the call worker handles them (planFunctionCall):
 * HTTP tools run for real, or are shown as the request they would send (dry run); a transfer or
 * a hang-up is shown and ends the conversation. What happens is kept as a call record holds it.
 */

export interface TrialInit {
  config: NumberConfig;
  /** E.164 or 'anonymous': fills `{{caller}}`. */
  caller: string;
  /** Fill `{{name}}` as a number's lookup would. */
  variables?: Record<string, string>;
  on: Day;
  /** The session, open (the host connects, with its key and base URL). */
  socket: WebSocket;
  /** Runs an HTTP tool; absent for a dry run, which shows the request instead. */
  runTool?: (call: HttpToolCall) => Promise<HttpToolResult>;
  /** Fills MCP servers' `{{secret:NAME}}` headers; absent: servers that need one are left out. */
  readSecret?: ReadSecret;
  /** Leave the MCP servers out (a dry run: the Realtime engine would call them for real). */
  withoutMcp?: boolean;
  /** Told each time the record changes (a line said, an action taken). */
  onChange?: (record: CallRecord) => void;
  /** How long a response may take before the trial gives up. @default 60 s */
  responseTimeoutMs?: number;
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

interface FunctionCall {
  callId: string;
  name: string;
  arguments: string;
}

interface ResponseDone {
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
  private waiter: { resolve: (value: Json) => void; reject: (error: Error) => void; type: string } | undefined;
  private responding: Promise<ResponseDone> | undefined;
  private closed: Error | undefined;

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
    init.socket.on('message', (data) => this.onEvent(String(data)));
    init.socket.on('close', (code, reason) => this.fail(new TrialError(`OpenAI closed the session (${code}${reason.length > 0 ? `: ${reason}` : ''})`)));
    init.socket.on('error', (error) => this.fail(new TrialError(`the session failed: ${error.message}`)));
  }

  /** Whether the conversation is over (the agent hung up or transferred the caller). */
  get over(): boolean {
    return this.record.outcome !== 'active';
  }

  /** Sets the session up as the number would be answered, then lets the agent greet. */
  async start(): Promise<void> {
    const decision = routeCall({ number: this.init.config.number, caller: this.init.caller }, this.init.config, 0, this.init.on, {
      status: 'answered',
      durationMs: 0,
      httpStatus: 200,
      ...(this.init.variables && { variables: this.init.variables }),
    });
    if (decision.kind === 'reject') throw new TrialError(`the number would turn every call away (${decision.reason}): enable it and give it an agent`);
    if (decision.engine === 'live') throw new TrialError('the number is answered by GPT-Live, which has no text session to try it with');
    const { session } = decision;
    let tools = session.tools ?? [];
    if (!this.init.withoutMcp && (this.init.config.mcp ?? []).length > 0) {
      const mcp = await mcpSessionUpdate(this.init.config, this.init.readSecret);
      tools = (mcp.event?.session as { tools?: typeof tools } | undefined)?.tools ?? tools;
      this.action('mcp-set-up', { servers: mcp.servers, ...(mcp.skipped.length > 0 && { skipped: mcp.skipped }) });
    }
    this.send({
      type: 'session.update',
      session: {
        type: 'realtime',
        instructions: session.instructions,
        output_modalities: ['text'],
        ...(tools.length > 0 && { tools, tool_choice: 'auto' }),
        ...(session.max_output_tokens !== undefined && { max_output_tokens: session.max_output_tokens }),
      },
    });
    await this.next('session.updated', 'OpenAI refused the session config');
    if (decision.greeting) {
      this.action('greeting');
      await this.converse(sayExactly(decision.greeting));
    }
  }

  /** The caller says `words`; resolves once the agent has answered (its tool calls included). */
  async say(words: string): Promise<void> {
    if (this.over) throw new TrialError('the conversation is over');
    const id = `item_${randomBytes(8).toString('hex')}`;
    this.send({ type: 'conversation.item.create', item: { id, type: 'message', role: 'user', content: [{ type: 'input_text', text: words }] } });
    this.line({ role: 'caller', text: words, id });
    await this.converse();
  }

  /** The caller leaves: the record is closed as the worker closes a call the caller hung up. */
  finish(): CallRecord {
    if (!this.over) this.end({ outcome: 'completed', reason: 'caller-hung-up' });
    this.init.socket.removeAllListeners('close');
    this.init.socket.close();
    return this.record;
  }

  /** One turn of the agent's: a response, and one after each batch of tool answers, until it only speaks. */
  private async converse(instructions?: string): Promise<void> {
    let done = await this.respond(instructions);
    for (;;) {
      for (const said of done.said) this.line({ role: 'agent', text: said.text, id: said.id });
      if (done.calls.length === 0 || this.over) return;
      let answerWanted = false;
      for (const call of done.calls) {
        const next = await this.handle(call);
        if (next === 'answer') answerWanted = true;
        if (next === 'goodbye') {
          // As on a call: the agent says goodbye (if it has not), and the line is hung up after it.
          const goodbye = await this.respond();
          for (const said of goodbye.said) this.line({ role: 'agent', text: said.text, id: said.id });
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
        this.output(call.callId, planned.plan.output);
        if (planned.plan.kind === 'refuse') {
          this.action('transfer-refused', { toolCallId: call.callId, arguments: call.arguments });
          return 'answer';
        }
        this.action('transfer', { toolCallId: call.callId, target: planned.plan.name, uri: planned.plan.uri });
        this.end({ outcome: 'transferred', reason: 'transferred', transferTarget: planned.plan.uri });
        return 'none';
      case 'end-call':
        this.output(call.callId, END_CALL_OUTPUT);
        this.action('end-call', { toolCallId: call.callId });
        return 'goodbye';
      case 'http-tool':
        await this.runTool(planned.tool, call);
        return 'answer';
      case 'refuse':
        this.output(call.callId, planned.output);
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
      this.output(call.callId, JSON.stringify({ error: `the ${tool.name} tool was not run (a dry run): tell the caller you cannot look that up right now` }));
      return;
    }
    const filler = tool.whileWaiting;
    let waiting: NodeJS.Timeout | undefined;
    let fillerSaid: Promise<void> | undefined;
    if (filler) {
      waiting = setTimeout(() => {
        this.action('tool-waiting', { words: filler });
        fillerSaid = this.respond(sayExactly(filler)).then((done) => done.said.forEach((said) => this.line({ role: 'agent', text: said.text, id: said.id })));
      }, tool.whileWaitingAfterMs);
    }
    const result = await this.init.runTool(request);
    clearTimeout(waiting);
    // OpenAI refuses a second active response: the filler's finishes first.
    await fillerSaid;
    this.output(call.callId, result.output);
    this.action('tool-result', toolResultDetails(tool, call.callId, result));
  }

  private output(callId: string, output: string): void {
    this.send({ type: 'conversation.item.create', item: { type: 'function_call_output', call_id: callId, output } });
  }

  /** Asks for a response and waits for it to be done: what was said, the function calls, the usage. */
  private respond(instructions?: string): Promise<ResponseDone> {
    const previous = this.responding ?? Promise.resolve(undefined);
    const responding = previous
      .catch(() => undefined)
      .then(async () => {
        this.send({ type: 'response.create', ...(instructions !== undefined && { response: { instructions } }) });
        return readResponse(await this.next('response.done', 'OpenAI refused the response'));
      })
      .then((done) => {
        this.addUsage(done.usage);
        if (done.status === 'failed' || done.status === 'incomplete') this.action('error', { code: `response-${done.status}`, message: `the response ended ${done.status}` });
        return done;
      });
    this.responding = responding;
    return responding;
  }

  /** The next event of `type`; an `error` event meanwhile rejects with `refusal` and OpenAI's words. */
  private next(type: string, refusal: string): Promise<Json> {
    if (this.closed) return Promise.reject(this.closed);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => fail(new TrialError(`no ${type} from OpenAI within ${(this.init.responseTimeoutMs ?? 60_000) / 1000} s`)), this.init.responseTimeoutMs ?? 60_000);
      const fail = (error: Error) => {
        clearTimeout(timer);
        this.waiter = undefined;
        reject(error);
      };
      this.waiter = {
        type,
        resolve: (event) => {
          clearTimeout(timer);
          this.waiter = undefined;
          resolve(event);
        },
        reject: (error) => fail(new TrialError(`${refusal}: ${error.message}`)),
      };
    });
  }

  private onEvent(text: string): void {
    let event: unknown;
    try {
      event = JSON.parse(text);
    } catch {
      return;
    }
    if (!isObject(event)) return;
    if (event.type === 'error') {
      const error = isObject(event.error) ? event.error : {};
      const message = String(error.message ?? 'unknown error');
      this.action('error', { code: String(error.code ?? error.type ?? 'error'), message });
      this.waiter?.reject(new Error(message));
      return;
    }
    if (this.waiter && event.type === this.waiter.type) this.waiter.resolve(event);
  }

  private fail(error: TrialError): void {
    this.closed ??= error;
    this.waiter?.reject(error);
  }

  private send(event: Json): void {
    this.init.socket.send(JSON.stringify(event));
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

/** What a `response.done` holds: the messages' words, the function calls, the usage. */
function readResponse(event: Json): ResponseDone {
  const response = isObject(event.response) ? event.response : {};
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
