import type { SessionAcceptParams } from 'openai/resources/live/sessions';
import type { LiveAgentConfig, NumberConfig } from '../numbers/config';
import { renderTemplate, toolsFor, type CallParticipants } from './session-config';

/**
 * The Live accept body for a call to a GPT-Live number (`POST /v1/live/sessions/{id}/accept`,
 * the `openai` SDK's SessionAcceptParams): the front end's model, voice and instructions, and a
 * Responses backend that Live delegates reasoning and tools to. The backend gets the same
 * function tools a Realtime agent gets (transfer_call, end_call, the number's HTTP tools: the
 * worker runs them all), and OpenAI's web search only when the config asks for it. No audio
 * format: SIP negotiates it (the reference refuses `audio.format` for SIP).
 */
export function buildLiveSessionConfig(
  config: NumberConfig & { agent: LiveAgentConfig },
  call: CallParticipants,
  variables?: Readonly<Record<string, string>>,
): SessionAcceptParams {
  const { agent } = config;
  const { backend } = agent;
  const tools: NonNullable<NonNullable<SessionAcceptParams.Session.Responses['responses']['tools']>> = toolsFor(config).map((tool) => ({
    type: 'function' as const,
    name: tool.type === 'function' ? (tool.name ?? '') : '',
    ...(tool.type === 'function' && tool.description !== undefined && { description: tool.description }),
    ...(tool.type === 'function' && tool.parameters !== undefined && { parameters: tool.parameters as Record<string, unknown> }),
  }));
  if (backend.webSearch) tools.push({ type: 'web_search' });
  return {
    session: {
      type: 'live',
      model: agent.model,
      instructions: renderTemplate(agent.instructions, call, variables),
      audio: { output: { voice: agent.voice } },
      delegation: {
        type: 'responses',
        responses: {
          model: backend.model,
          ...(backend.instructions && { instructions: renderTemplate(backend.instructions, call, variables) }),
          ...(tools.length > 0 && { tools, tool_choice: 'auto' as const }),
          ...(backend.reasoning && { reasoning: { effort: backend.reasoning.effort } }),
          ...(backend.maxOutputTokens !== undefined && { max_output_tokens: backend.maxOutputTokens }),
        },
      },
    },
  };
}
