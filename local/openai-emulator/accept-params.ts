import { dayOf, modelStanding, type Day, type ModelKind } from '../../core/openai/models';

/**
 * Validation of `/accept` bodies, as strict as the real endpoint is for SIP calls: unknown
 * parameters, the VAD tuning fields and audio formats are refused with a 400 naming the param,
 * and so is a model past its shutdown date in Switchboard's table of OpenAI's models.
 */
export interface ParamError {
  message: string;
  param: string | null;
  code: string;
}

/** `CallAcceptParams` of `openai` 6.49 (it also types `parallel_tool_calls` and `reasoning`). */
const SESSION_KEYS = ['type', 'model', 'instructions', 'audio', 'tools', 'tool_choice', 'max_output_tokens', 'truncation', 'tracing', 'prompt', 'output_modalities', 'include', 'parallel_tool_calls', 'reasoning'];
const INPUT_KEYS = ['transcription', 'turn_detection', 'noise_reduction'];
const OUTPUT_KEYS = ['voice', 'speed'];
const TURN_DETECTION_KEYS = ['type', 'eagerness', 'create_response', 'interrupt_response', 'idle_timeout_ms'];
/** Server VAD tuning: the real API refuses these on SIP calls. */
const REFUSED_FOR_SIP = ['threshold', 'prefix_padding_ms', 'silence_duration_ms'];
const TOOL_KEYS = ['type', 'name', 'description', 'parameters'];
/**
 * An `mcp` tool's fields as the "Realtime with tools" guide lists them
 * (https://developers.openai.com/api/docs/guides/realtime-mcp): server_label, one of server_url
 * or connector_id, optional authorization, headers, allowed_tools, require_approval and
 * server_description. The SDK types a few more (allowed_callers, defer_loading, tunnel_id) that
 * the guide does not mention for Realtime; they are refused here as unknown.
 */
const MCP_TOOL_KEYS = ['type', 'server_label', 'server_url', 'connector_id', 'authorization', 'headers', 'allowed_tools', 'require_approval', 'server_description'];

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

const unknownParameter = (param: string): ParamError => ({ message: `Unknown parameter: '${param}'.`, param, code: 'unknown_parameter' });
const missing = (param: string): ParamError => ({ message: `Missing required parameter: '${param}'.`, param, code: 'missing_required_parameter' });
const invalidType = (param: string, expected: string, value: unknown): ParamError => ({
  message: `Invalid type for '${param}': expected ${expected}, but got ${Array.isArray(value) ? 'an array' : value === null ? 'null' : `a ${typeof value}`} instead.`,
  param,
  code: 'invalid_type',
});
const invalidValue = (param: string, value: unknown, supported: string[]): ParamError => ({
  message: `Invalid value: '${String(value)}'. Supported values are: ${supported.map((s) => `'${s}'`).join(' and ')}.`,
  param,
  code: 'invalid_value',
});
const unsupportedForSip = (param: string, why: string): ParamError => ({
  message: `Unsupported parameter: '${param}' is not supported for SIP calls (${why}).`,
  param,
  code: 'unsupported_parameter',
});

function firstUnknown(object: Json, allowed: string[], prefix: string): ParamError | undefined {
  const key = Object.keys(object).find((k) => !allowed.includes(k));
  return key === undefined ? undefined : unknownParameter(prefix + key);
}

/**
 * A model OpenAI no longer serves. What accept answers for one is not documented (unconfirmed):
 * this is the API's usual answer for a model it does not serve, a 400 with `model_not_found`.
 */
function shutDownModel(param: string, model: unknown, kind: ModelKind, on: Day): ParamError | undefined {
  if (typeof model !== 'string') return undefined;
  const s = modelStanding(model, kind, on);
  if (s.standing !== 'shut-down') return undefined;
  return { message: `The model '${model}' was shut down on ${s.shutdown} and is no longer available.`, param, code: 'model_not_found' };
}

/** Why the real API would refuse this accept body on day `on`, or undefined when it would take it. */
export function acceptParamsError(body: unknown, on: Day = dayOf(new Date())): ParamError | undefined {
  if (!isObject(body)) return invalidType('body', 'an object', body);
  const unknown = firstUnknown(body, SESSION_KEYS, '');
  if (unknown) return unknown;
  if (body.type === undefined) return missing('type');
  if (body.type !== 'realtime') return invalidValue('type', body.type, ['realtime']);
  for (const key of ['model', 'instructions'] as const) {
    if (body[key] !== undefined && typeof body[key] !== 'string') return invalidType(key, 'a string', body[key]);
  }
  return (
    shutDownModel('model', body.model, 'realtime', on) ??
    (body.audio === undefined ? undefined : audioError(body.audio, on)) ??
    (body.tools === undefined ? undefined : toolsError(body.tools))
  );
}

function audioError(audio: unknown, on: Day): ParamError | undefined {
  if (!isObject(audio)) return invalidType('audio', 'an object', audio);
  const unknown = firstUnknown(audio, ['input', 'output'], 'audio.');
  if (unknown) return unknown;
  const { input, output } = audio;
  if (input !== undefined) {
    if (!isObject(input)) return invalidType('audio.input', 'an object', input);
    if ('format' in input) return unsupportedForSip('audio.input.format', 'the audio format is negotiated by SDP');
    const error =
      firstUnknown(input, INPUT_KEYS, 'audio.input.') ??
      turnDetectionError(input.turn_detection) ??
      (isObject(input.transcription) ? shutDownModel('audio.input.transcription.model', input.transcription.model, 'transcription', on) : undefined);
    if (error) return error;
  }
  if (output !== undefined) {
    if (!isObject(output)) return invalidType('audio.output', 'an object', output);
    if ('format' in output) return unsupportedForSip('audio.output.format', 'the audio format is negotiated by SDP');
    const error = firstUnknown(output, OUTPUT_KEYS, 'audio.output.');
    if (error) return error;
    if (output.voice !== undefined && typeof output.voice !== 'string') return invalidType('audio.output.voice', 'a string', output.voice);
  }
  return undefined;
}

function turnDetectionError(turnDetection: unknown): ParamError | undefined {
  if (turnDetection === undefined || turnDetection === null) return undefined;
  const param = 'audio.input.turn_detection';
  if (!isObject(turnDetection)) return invalidType(param, 'an object', turnDetection);
  const refused = REFUSED_FOR_SIP.find((key) => key in turnDetection);
  if (refused) return unsupportedForSip(`${param}.${refused}`, 'voice activity detection is tuned by the SIP gateway');
  const unknown = firstUnknown(turnDetection, TURN_DETECTION_KEYS, `${param}.`);
  if (unknown) return unknown;
  const types = ['server_vad', 'semantic_vad'];
  if (!types.includes(turnDetection.type as string)) return invalidValue(`${param}.type`, turnDetection.type, types);
  return undefined;
}

/** Why the real API would refuse a session's `tools` (in accept, or `session.tools` in `session.update`). */
export function toolsError(tools: unknown, at = 'tools'): ParamError | undefined {
  if (!Array.isArray(tools)) return invalidType(at, 'an array', tools);
  for (const [i, tool] of tools.entries()) {
    const param = `${at}[${i}]`;
    if (!isObject(tool)) return invalidType(param, 'an object', tool);
    if (tool.type === 'mcp') {
      const error = mcpToolError(tool, param);
      if (error) return error;
      continue;
    }
    const unknown = firstUnknown(tool, TOOL_KEYS, `${param}.`);
    if (unknown) return unknown;
    if (tool.type !== 'function') return invalidValue(`${param}.type`, tool.type, ['function', 'mcp']);
    if (typeof tool.name !== 'string' || tool.name === '') return missing(`${param}.name`);
    if (tool.description !== undefined && typeof tool.description !== 'string') return invalidType(`${param}.description`, 'a string', tool.description);
    if (tool.parameters !== undefined && !isObject(tool.parameters)) return invalidType(`${param}.parameters`, 'an object', tool.parameters);
  }
  return undefined;
}

const isStringList = (value: unknown): value is string[] => Array.isArray(value) && value.every((v) => typeof v === 'string');

function mcpToolError(tool: Json, param: string): ParamError | undefined {
  const unknown = firstUnknown(tool, MCP_TOOL_KEYS, `${param}.`);
  if (unknown) return unknown;
  if (typeof tool.server_label !== 'string' || tool.server_label === '') return missing(`${param}.server_label`);
  if (tool.server_url === undefined && tool.connector_id === undefined) return missing(`${param}.server_url`);
  for (const key of ['server_url', 'connector_id', 'authorization', 'server_description'] as const) {
    if (tool[key] !== undefined && typeof tool[key] !== 'string') return invalidType(`${param}.${key}`, 'a string', tool[key]);
  }
  const { headers, allowed_tools: allowed, require_approval: approval } = tool;
  if (headers !== undefined && headers !== null) {
    if (!isObject(headers)) return invalidType(`${param}.headers`, 'an object', headers);
    const name = Object.keys(headers).find((h) => typeof headers[h] !== 'string');
    if (name !== undefined) return invalidType(`${param}.headers.${name}`, 'a string', headers[name]);
  }
  if (allowed !== undefined && allowed !== null && !isStringList(allowed) && !isObject(allowed)) return invalidType(`${param}.allowed_tools`, 'an array of strings or an object', allowed);
  if (approval !== undefined && approval !== null && !isObject(approval) && approval !== 'always' && approval !== 'never') {
    return invalidValue(`${param}.require_approval`, approval, ['always', 'never']);
  }
  return undefined;
}
