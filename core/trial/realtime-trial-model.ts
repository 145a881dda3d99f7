import { randomBytes } from 'node:crypto';
import type WebSocket from 'ws';
import { mcpSessionUpdate } from '../worker/mcp-session';
import { sayExactly } from '../worker/tools';
import { responseDoneOf, TrialError, type ResponseDone, type TrialModel, type TrialOpening } from './text-trial';

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * A Realtime number's agent on a Realtime session of its own (`/v1/realtime?model=...`, text
 * out), set up with the session config the number would be answered with: its instructions,
 * tools (MCP servers included, unless left out) and output bound.
 */
export class RealtimeTrialModel implements TrialModel {
  readonly saysWhileWaiting = true;
  private waiter: { resolve: (value: Json) => void; reject: (error: Error) => void; type: string } | undefined;
  private responding: Promise<ResponseDone> | undefined;
  private closed: Error | undefined;
  private note: TrialOpening['note'] = () => undefined;

  constructor(
    /** The session, open (the host connects, with its key and base URL). */
    private readonly socket: WebSocket,
    private readonly opts: {
      /** Leave the MCP servers out (a dry run: the Realtime engine would call them for real). */
      withoutMcp?: boolean;
      /** How long a response may take before the trial gives up. @default 60 s */
      responseTimeoutMs?: number;
    } = {},
  ) {
    socket.on('message', (data) => this.onEvent(String(data)));
    socket.on('close', (code, reason) => this.fail(new TrialError(`OpenAI closed the session (${code}${reason.length > 0 ? `: ${reason}` : ''})`)));
    socket.on('error', (error) => this.fail(new TrialError(`the session failed: ${error.message}`)));
  }

  async open({ decision, config, readSecret, note }: TrialOpening): Promise<void> {
    if (decision.engine !== 'realtime') throw new TrialError('the number is answered by GPT-Live, not by a Realtime session');
    this.note = note;
    const { session } = decision;
    let tools = session.tools ?? [];
    if (!this.opts.withoutMcp && (config.mcp ?? []).length > 0) {
      const mcp = await mcpSessionUpdate(config, readSecret);
      tools = (mcp.event?.session as { tools?: typeof tools } | undefined)?.tools ?? tools;
      note('mcp-set-up', { servers: mcp.servers, ...(mcp.skipped.length > 0 && { skipped: mcp.skipped }) });
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
  }

  sayExactly(words: string): Promise<ResponseDone> {
    return this.respond(sayExactly(words));
  }

  hear(words: string): string {
    const id = `item_${randomBytes(8).toString('hex')}`;
    this.send({ type: 'conversation.item.create', item: { id, type: 'message', role: 'user', content: [{ type: 'input_text', text: words }] } });
    return id;
  }

  answer(toolCallId: string, output: string): void {
    this.send({ type: 'conversation.item.create', item: { type: 'function_call_output', call_id: toolCallId, output } });
  }

  /** Asks for a response and waits for it to be done; one at a time, as OpenAI refuses a second active response. */
  respond(instructions?: string): Promise<ResponseDone> {
    const previous = this.responding ?? Promise.resolve(undefined);
    const responding = previous
      .catch(() => undefined)
      .then(async () => {
        this.send({ type: 'response.create', ...(instructions !== undefined && { response: { instructions } }) });
        const done = await this.next('response.done', 'OpenAI refused the response');
        return responseDoneOf(isObject(done.response) ? done.response : {});
      });
    this.responding = responding;
    return responding;
  }

  close(): void {
    this.socket.removeAllListeners('close');
    this.socket.close();
  }

  /** The next event of `type`; an `error` event meanwhile rejects with `refusal` and OpenAI's words. */
  private next(type: string, refusal: string): Promise<Json> {
    if (this.closed) return Promise.reject(this.closed);
    const timeoutMs = this.opts.responseTimeoutMs ?? 60_000;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => fail(new TrialError(`no ${type} from OpenAI within ${timeoutMs / 1000} s`)), timeoutMs);
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
      this.note('error', { code: String(error.code ?? error.type ?? 'error'), message });
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
    this.socket.send(JSON.stringify(event));
  }
}
