import { randomBytes } from 'node:crypto';
import OpenAI, { APIError } from 'openai';
import type { ResponseCreateParamsNonStreaming, ResponseInputItem } from 'openai/resources/responses/responses';
import { responseDoneOf, TrialError, type ResponseDone, type TrialModel, type TrialOpening } from './text-trial';

/**
 * A GPT-Live number's agent, tried in text. GPT-Live takes no typed words from a caller (its
 * client events append audio, instructions, thinking and commentary: the Live API reference), so
 * what is tried is its backend, where the business rules and the tools are: every line the
 * caller types is handed to the backend's Responses model (`POST /v1/responses`) with the
 * backend's instructions, tools, reasoning and output bound as the accept gives them, the
 * conversation carried on with `previous_response_id`. The greeting is said word for word, as the
 * Live voice says it, and joins the conversation as the agent's. What the backend answers is what
 * the voice would say in its own words; the voice's own turns (small talk it does not delegate)
 * are not tried.
 */
export class LiveBackendTrialModel implements TrialModel {
  /** The Live voice keeps talking while the backend runs a tool: it never says whileWaiting. */
  readonly saysWhileWaiting = false;
  private params: Omit<ResponseCreateParamsNonStreaming, 'input' | 'previous_response_id'> | undefined;
  private previous: string | undefined;
  private input: ResponseInputItem[] = [];

  constructor(
    private readonly openai: Pick<OpenAI, 'responses'>,
    /** How long a response may take before the trial gives up. @default 60 s */
    private readonly responseTimeoutMs = 60_000,
  ) {}

  async open({ decision }: TrialOpening): Promise<void> {
    if (decision.engine !== 'live') throw new TrialError('the number is answered by a Realtime session, not by GPT-Live');
    const { delegation } = decision.session.session;
    if (delegation?.type !== 'responses') throw new TrialError('the GPT-Live agent delegates to no Responses backend');
    const { model, instructions, tools, tool_choice, reasoning, max_output_tokens } = delegation.responses;
    this.params = {
      model,
      ...(instructions && { instructions }),
      // The delegation's tools are the Responses API's (function and web search).
      ...(tools && { tools: tools as ResponseCreateParamsNonStreaming['tools'] }),
      ...(tool_choice && { tool_choice: tool_choice as ResponseCreateParamsNonStreaming['tool_choice'] }),
      ...(reasoning && { reasoning: reasoning as ResponseCreateParamsNonStreaming['reasoning'] }),
      ...(max_output_tokens !== undefined && max_output_tokens !== null && { max_output_tokens }),
    };
  }

  async sayExactly(words: string): Promise<ResponseDone> {
    this.input.push({ role: 'assistant', content: words });
    return { said: [{ id: `said_${randomBytes(8).toString('hex')}`, text: words }], calls: [] };
  }

  hear(words: string): string {
    this.input.push({ role: 'user', content: words });
    return `item_${randomBytes(8).toString('hex')}`;
  }

  answer(toolCallId: string, output: string): void {
    this.input.push({ type: 'function_call_output', call_id: toolCallId, output });
  }

  async respond(): Promise<ResponseDone> {
    if (!this.params) throw new TrialError('the trial was not opened');
    const input = this.input;
    this.input = [];
    try {
      const response = await this.openai.responses.create(
        { ...this.params, input, ...(this.previous && { previous_response_id: this.previous }) },
        { timeout: this.responseTimeoutMs, maxRetries: 0 },
      );
      this.previous = response.id;
      return responseDoneOf(response as unknown as Record<string, unknown>);
    } catch (err) {
      if (err instanceof APIError && err.status) throw new TrialError(`OpenAI refused the backend's response (HTTP ${err.status})${err.message ? `: ${err.message}` : ''}${err.status === 401 ? ': check OPENAI_API_KEY' : ''}`);
      throw new TrialError(`cannot reach OpenAI: ${(err as Error).message}`);
    }
  }

  close(): void {}
}
