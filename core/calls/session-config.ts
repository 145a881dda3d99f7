import type { CallAcceptParams } from 'openai/resources/realtime/calls';
import type { AudioTranscription, RealtimeAudioInputTurnDetection, RealtimeToolsConfigUnion } from 'openai/resources/realtime/realtime';
import type { AgentConfig, NumberConfig, NumberMcpServer, RealtimeAgentConfig } from '../numbers/config';
import { languageHintOf, modelServing, type Day } from '../openai/models';
import { fillTemplate } from './lookup';

export const TRANSFER_TOOL = 'transfer_call';
export const END_CALL_TOOL = 'end_call';

export interface CallParticipants {
  /** The dialed number, E.164. */
  number: string;
  /** E.164 or 'anonymous'. */
  caller: string;
}

/**
 * Fills `{{caller}}`, `{{number}}` and the lookup's variables in the number's instructions or
 * greeting. The caller and the number are what SIP said: a variable of the same name does not
 * replace them.
 */
export function renderTemplate(template: string, call: CallParticipants, variables: Readonly<Record<string, string>> = {}): string {
  return fillTemplate(template, { ...variables, caller: call.caller, number: call.number });
}

/**
 * The caller's transcription. gpt-transcribe and gpt-live-transcribe take the expected
 * languages as a list, and a request must not carry both `language` and `languages`
 * (https://developers.openai.com/cookbook/examples/migrating_from_whisper_to_gpt_transcribe);
 * the older models take `language`.
 */
function transcription({ model: configured, language }: RealtimeAgentConfig['transcription'], on: Day): AudioTranscription {
  const model = modelServing(configured, 'transcription', on);
  if (!language) return { model };
  return languageHintOf(model) === 'languages' ? { model, languages: [language] } : { model, language };
}

function turnDetection(agent: RealtimeAgentConfig): RealtimeAudioInputTurnDetection {
  const td = agent.turnDetection;
  const common = {
    ...(td.createResponse !== undefined && { create_response: td.createResponse }),
    ...(td.interruptResponse !== undefined && { interrupt_response: td.interruptResponse }),
  };
  if (td.type === 'server_vad') {
    return { type: 'server_vad', ...common, ...(td.idleTimeoutMs !== undefined && { idle_timeout_ms: td.idleTimeoutMs }) };
  }
  return { type: 'semantic_vad', ...common, ...(td.eagerness !== undefined && { eagerness: td.eagerness }) };
}

/** The function tools a number enables: transfer_call and end_call, then the number's own tools. The call worker runs them all. */
export function toolsFor(config: NumberConfig): NonNullable<CallAcceptParams['tools']> {
  const tools: NonNullable<CallAcceptParams['tools']> = [];
  if (config.transfers.length > 0) {
    tools.push({
      type: 'function',
      name: TRANSFER_TOOL,
      description: `Transfer the caller to a person or team. Say briefly that you are transferring them first. Targets: ${config.transfers
        .map((t) => `${t.name} (${t.description})`)
        .join('; ')}.`,
      parameters: {
        type: 'object',
        properties: { target: { type: 'string', enum: config.transfers.map((t) => t.name), description: 'Who to transfer to.' } },
        required: ['target'],
        additionalProperties: false,
      },
    });
  }
  if (config.endCall.enabled) {
    tools.push({
      type: 'function',
      name: END_CALL_TOOL,
      description: 'End the call. Say goodbye first; the line is hung up once your goodbye has played.',
      parameters: { type: 'object', properties: {}, additionalProperties: false },
    });
  }
  // Only what the model reads: the url and headers stay with the worker, which runs the tool.
  // A config stored before numbers had tools has none (stored configs are read as they were written).
  for (const tool of config.tools ?? []) {
    tools.push({ type: 'function', name: tool.name, description: tool.description, parameters: tool.parameters });
  }
  return tools;
}

/** An MCP tool of a Realtime session (`type: "mcp"`). */
export type McpTool = RealtimeToolsConfigUnion.Mcp;

/**
 * A number's MCP server as a Realtime session's `mcp` tool, its headers as configured (with their
 * `{{secret:NAME}}` references: the worker fills them before it sends the tool, see
 * core/worker/mcp-session.ts). The shape is the "Realtime with tools" guide's
 * (https://developers.openai.com/api/docs/guides/realtime-mcp): type, server_label, server_url,
 * optional headers, allowed_tools, require_approval and server_description. Approval is
 * `never`: during a call nobody is there to approve a tool call, and a request for approval
 * would leave the caller in silence.
 */
export function mcpToolFor(server: NumberMcpServer): McpTool {
  return {
    type: 'mcp',
    server_label: server.label,
    server_url: server.url,
    ...(server.allowedTools && { allowed_tools: server.allowedTools }),
    ...(server.headers && Object.keys(server.headers).length > 0 && { headers: server.headers }),
    require_approval: 'never',
    ...(server.description !== undefined && { server_description: server.description }),
  };
}

/**
 * The accept body for a call to this number on day `on`: everything OpenAI needs, nothing SIP
 * refuses, and no model OpenAI has shut down (see modelServing). The number's MCP servers are
 * not in it: their headers may need secrets, which the webhook does not hold; the worker adds
 * them with `session.update` as it attaches (core/worker/mcp-session.ts).
 */
export function buildSessionConfig(
  config: NumberConfig & { agent: AgentConfig },
  call: CallParticipants,
  on: Day,
  variables?: Readonly<Record<string, string>>,
): CallAcceptParams {
  const { agent } = config;
  // A programming error, not a config one: routeCall sends a Live agent to buildLiveSessionConfig.
  if (agent.engine === 'live') throw new Error('buildSessionConfig builds Realtime sessions; a GPT-Live agent is answered with buildLiveSessionConfig');
  const tools = toolsFor(config);
  return {
    type: 'realtime',
    model: modelServing(agent.model, 'realtime', on),
    instructions: renderTemplate(agent.instructions, call, variables),
    audio: {
      input: {
        // The call log needs the caller's words as text.
        transcription: transcription(agent.transcription, on),
        turn_detection: turnDetection(agent),
      },
      output: { voice: agent.voice },
    },
    ...(tools.length > 0 && { tools, tool_choice: 'auto' as const }),
    ...(agent.maxOutputTokens !== undefined && { max_output_tokens: agent.maxOutputTokens }),
  };
}
