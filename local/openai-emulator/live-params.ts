/**
 * Validation of the Live API's call-control bodies and of `session.update`, as strict as the
 * guides say the Live API is: "Unknown fields are refused" (the session is "a strict
 * configuration object that rejects unknown fields"), anywhere in `session`. The fields are the
 * `openai` SDK's (7.59): `SessionAcceptParams.Session` (openai/resources/live/sessions),
 * `ResponsesDelegationConfig` and `SessionUpdateConfig` (openai/resources/live/live).
 *
 * Unconfirmed: the Live API's exact messages and codes. These follow the OpenAI error body the
 * Realtime API uses (`unknown_parameter`, `missing_required_parameter`, `invalid_type`,
 * `invalid_value`, `unsupported_parameter`), with `param` the path from the body's root.
 */
import { LIVE_MODELS } from '../../core/openai/models';
import type { ParamError } from './accept-params';

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);


/**
 * Backend tools of a Responses delegation. The SDK's union types more (mcp, file_search, shell,
 * ...), but the Live guides and the reference summary say `function` and `web_search` only, "no
 * MCP tools in delegation"; where they differ the pages win, so the rest are refused.
 */
const BACKEND_TOOL_TYPES = ['function', 'web_search'];

const SESSION_KEYS = ['type', 'model', 'audio', 'delegation', 'input', 'instructions', 'safety_identifier', 'store', 'triggers'];
const RESPONSES_KEYS = ['model', 'instructions', 'max_output_tokens', 'parallel_tool_calls', 'reasoning', 'service_tier', 'text', 'tool_choice', 'tools'];
const FUNCTION_TOOL_KEYS = ['type', 'name', 'description', 'parameters', 'strict'];
const EFFORTS = ['none', 'minimal', 'low', 'medium', 'high', 'xhigh'];
const SUMMARIES = ['concise', 'detailed', 'auto'];
const SERVICE_TIERS = ['auto', 'default', 'fast_tier_temp_pilot', 'flex', 'priority', 'ultrafast'];
const VERBOSITIES = ['low', 'medium', 'high'];
const TOOL_CHOICE_MODES = ['auto', 'none', 'required'];
const INITIAL_ROLES = ['developer', 'user', 'assistant'];
const MAX_INITIAL_ITEMS = 128;

export const unknownParameter = (param: string): ParamError => ({ message: `Unknown parameter: '${param}'.`, param, code: 'unknown_parameter' });
export const missing = (param: string): ParamError => ({ message: `Missing required parameter: '${param}'.`, param, code: 'missing_required_parameter' });
export const invalidType = (param: string, expected: string, value: unknown): ParamError => ({
  message: `Invalid type for '${param}': expected ${expected}, but got ${Array.isArray(value) ? 'an array' : value === null ? 'null' : `a ${typeof value}`} instead.`,
  param,
  code: 'invalid_type',
});
export const invalidValue = (param: string, value: unknown, supported: readonly string[]): ParamError => ({
  message: `Invalid value: '${String(value)}'. Supported values are: ${supported.map((s) => `'${s}'`).join(', ')}.`,
  param,
  code: 'invalid_value',
});
/** What the real API takes but the emulator does not play (Decisions): refused, so a test notices. */
const notEmulated = (param: string, what: string): ParamError => ({
  message: `The OpenAI emulator does not emulate ${what} ('${param}'); the real API may accept it.`,
  param,
  code: 'emulator_unsupported',
});

export function firstUnknown(object: Json, allowed: readonly string[], prefix: string): ParamError | undefined {
  const key = Object.keys(object).find((k) => !allowed.includes(k));
  return key === undefined ? undefined : unknownParameter(prefix + key);
}

const nullableString = (value: unknown, param: string) =>
  value === undefined || value === null || typeof value === 'string' ? undefined : invalidType(param, 'a string', value);
const nullableEnum = (value: unknown, param: string, allowed: readonly string[]) =>
  value === undefined || value === null || allowed.includes(value as string) ? undefined : invalidValue(param, value, allowed);

/** Why the real API would refuse this `POST /v1/live/sessions/{id}/accept` body, or undefined when it would take it. */
export function liveAcceptError(body: unknown): ParamError | undefined {
  if (!isObject(body)) return invalidType('body', 'an object', body);
  const unknown = firstUnknown(body, ['session'], '');
  if (unknown) return unknown;
  const { session } = body;
  if (session === undefined) return missing('session');
  if (!isObject(session)) return invalidType('session', 'an object', session);
  return sessionError(session);
}

function sessionError(session: Json): ParamError | undefined {
  const at = 'session.';
  const unknown = firstUnknown(session, SESSION_KEYS, at);
  if (unknown) return unknown;
  if (session.type === undefined) return missing(`${at}type`);
  if (session.type !== 'live') return invalidValue(`${at}type`, session.type, ['live']);
  if (session.model === undefined) return missing(`${at}model`);
  if (typeof session.model !== 'string') return invalidType(`${at}model`, 'a string', session.model);
  if (!LIVE_MODELS.includes(session.model)) {
    return { message: `The model '${session.model}' does not exist or you do not have access to it.`, param: `${at}model`, code: 'model_not_found' };
  }
  if (session.store !== undefined && typeof session.store !== 'boolean') return invalidType(`${at}store`, 'a boolean', session.store);
  return (
    nullableString(session.instructions, `${at}instructions`) ??
    nullableString(session.safety_identifier, `${at}safety_identifier`) ??
    (session.audio === undefined ? undefined : audioError(session.audio, `${at}audio`)) ??
    (session.delegation === undefined ? undefined : delegationError(session.delegation, `${at}delegation`)) ??
    (session.input === undefined ? undefined : inputError(session.input, `${at}input`)) ??
    (session.triggers === undefined ? undefined : triggersError(session.triggers, `${at}triggers`))
  );
}

function audioError(audio: unknown, param: string): ParamError | undefined {
  if (!isObject(audio)) return invalidType(param, 'an object', audio);
  if ('format' in audio) {
    return {
      message: `Unsupported parameter: '${param}.format' is not supported for SIP calls: SIP negotiates the media format (audio.format is only accepted for primary WebSockets).`,
      param: `${param}.format`,
      code: 'unsupported_parameter',
    };
  }
  const unknown = firstUnknown(audio, ['output'], `${param}.`);
  if (unknown) return unknown;
  if (audio.output === undefined) return undefined;
  if (!isObject(audio.output)) return invalidType(`${param}.output`, 'an object', audio.output);
  const unknownOutput = firstUnknown(audio.output, ['voice'], `${param}.output.`);
  if (unknownOutput) return unknownOutput;
  const { voice } = audio.output;
  if (voice === undefined || typeof voice === 'string') return undefined;
  // A custom voice is `{ id }`.
  if (!isObject(voice)) return invalidType(`${param}.output.voice`, 'a string or an object', voice);
  return firstUnknown(voice, ['id'], `${param}.output.voice.`) ?? (typeof voice.id === 'string' ? undefined : missing(`${param}.output.voice.id`));
}

/** `delegation`: null (the application), `client`, `responses` (Decisions is not emulated). */
function delegationError(delegation: unknown, param: string): ParamError | undefined {
  if (delegation === null) return undefined;
  if (!isObject(delegation)) return invalidType(param, 'an object', delegation);
  const types = ['client', 'responses', 'decisions'];
  if (delegation.type === undefined) return missing(`${param}.type`);
  if (!types.includes(delegation.type as string)) return invalidValue(`${param}.type`, delegation.type, types);
  if (delegation.type === 'decisions') return notEmulated(`${param}.type`, 'Decisions delegation');
  const keys = delegation.type === 'client' ? ['type', 'acknowledgement_delay_ms'] : ['type', 'responses', 'acknowledgement_delay_ms'];
  const unknown = firstUnknown(delegation, keys, `${param}.`);
  if (unknown) return unknown;
  const delay = delegation.acknowledgement_delay_ms;
  if (delay !== undefined && (!Number.isInteger(delay) || (delay as number) < 0)) return invalidType(`${param}.acknowledgement_delay_ms`, 'a non-negative integer', delay);
  if (delegation.type === 'client') return undefined;
  if (delegation.responses === undefined) return missing(`${param}.responses`);
  return responsesError(delegation.responses, `${param}.responses`, true);
}

/** `ResponsesDelegationConfig` (at accept, `model` required) or `ResponsesDelegationUpdateConfig` (at update, all optional). */
export function responsesError(responses: unknown, param: string, modelRequired: boolean): ParamError | undefined {
  if (!isObject(responses)) return invalidType(param, 'an object', responses);
  const unknown = firstUnknown(responses, RESPONSES_KEYS, `${param}.`);
  if (unknown) return unknown;
  if (responses.model === undefined && modelRequired) return missing(`${param}.model`);
  if (responses.model !== undefined && (typeof responses.model !== 'string' || responses.model === '')) return invalidType(`${param}.model`, 'a model name', responses.model);
  const { max_output_tokens: max, parallel_tool_calls: parallel, reasoning, text } = responses;
  if (max !== undefined && max !== null && (!Number.isInteger(max) || (max as number) < 1)) return invalidType(`${param}.max_output_tokens`, 'a positive integer', max);
  if (parallel !== undefined && parallel !== null && typeof parallel !== 'boolean') return invalidType(`${param}.parallel_tool_calls`, 'a boolean', parallel);
  if (reasoning !== undefined && reasoning !== null) {
    if (!isObject(reasoning)) return invalidType(`${param}.reasoning`, 'an object', reasoning);
    const error =
      firstUnknown(reasoning, ['effort', 'summary'], `${param}.reasoning.`) ??
      nullableEnum(reasoning.effort, `${param}.reasoning.effort`, EFFORTS) ??
      nullableEnum(reasoning.summary, `${param}.reasoning.summary`, SUMMARIES);
    if (error) return error;
  }
  if (text !== undefined && text !== null) {
    if (!isObject(text)) return invalidType(`${param}.text`, 'an object', text);
    const error = firstUnknown(text, ['verbosity'], `${param}.text.`) ?? nullableEnum(text.verbosity, `${param}.text.verbosity`, VERBOSITIES);
    if (error) return error;
  }
  return (
    nullableString(responses.instructions, `${param}.instructions`) ??
    nullableEnum(responses.service_tier, `${param}.service_tier`, SERVICE_TIERS) ??
    toolChoiceError(responses.tool_choice, `${param}.tool_choice`) ??
    (responses.tools === undefined ? undefined : backendToolsError(responses.tools, `${param}.tools`))
  );
}

function toolChoiceError(choice: unknown, param: string): ParamError | undefined {
  if (choice === undefined || choice === null) return undefined;
  if (typeof choice === 'string') return TOOL_CHOICE_MODES.includes(choice) ? undefined : invalidValue(param, choice, TOOL_CHOICE_MODES);
  if (!isObject(choice)) return invalidType(param, 'a string or an object', choice);
  if (typeof choice.type !== 'string') return missing(`${param}.type`);
  if (choice.type === 'function' && typeof choice.name !== 'string') return missing(`${param}.name`);
  return undefined;
}

function backendToolsError(tools: unknown, param: string): ParamError | undefined {
  if (!Array.isArray(tools)) return invalidType(param, 'an array', tools);
  for (const [i, tool] of tools.entries()) {
    const at = `${param}[${i}]`;
    if (!isObject(tool)) return invalidType(at, 'an object', tool);
    if (!BACKEND_TOOL_TYPES.includes(tool.type as string)) return invalidValue(`${at}.type`, tool.type, BACKEND_TOOL_TYPES);
    if (tool.type === 'web_search') {
      const unknown = firstUnknown(tool, ['type'], `${at}.`);
      if (unknown) return unknown;
      continue;
    }
    const unknown = firstUnknown(tool, FUNCTION_TOOL_KEYS, `${at}.`);
    if (unknown) return unknown;
    if (typeof tool.name !== 'string' || tool.name === '') return missing(`${at}.name`);
    const error = nullableString(tool.description, `${at}.description`);
    if (error) return error;
    if (tool.parameters !== undefined && tool.parameters !== null && !isObject(tool.parameters)) return invalidType(`${at}.parameters`, 'an object', tool.parameters);
    if (tool.strict !== undefined && tool.strict !== null && typeof tool.strict !== 'boolean') return invalidType(`${at}.strict`, 'a boolean', tool.strict);
  }
  return undefined;
}

/** `input`: text-only history, developer, user and assistant messages with one text part each. */
function inputError(input: unknown, param: string): ParamError | undefined {
  if (!Array.isArray(input)) return invalidType(param, 'an array', input);
  if (input.length > MAX_INITIAL_ITEMS) return { message: `'${param}' has ${input.length} items; at most ${MAX_INITIAL_ITEMS} are allowed.`, param, code: 'array_above_max_length' };
  for (const [i, item] of input.entries()) {
    const at = `${param}[${i}]`;
    if (!isObject(item)) return invalidType(at, 'an object', item);
    const unknown = firstUnknown(item, ['type', 'role', 'content', 'id', 'status'], `${at}.`);
    if (unknown) return unknown;
    if (item.type !== undefined && item.type !== 'message') return invalidValue(`${at}.type`, item.type, ['message']);
    if (!INITIAL_ROLES.includes(item.role as string)) return invalidValue(`${at}.role`, item.role, INITIAL_ROLES);
    if (!Array.isArray(item.content) || item.content.length !== 1) {
      return { message: `'${at}.content' must hold exactly one text part.`, param: `${at}.content`, code: 'invalid_value' };
    }
    const part = item.content[0];
    if (!isObject(part)) return invalidType(`${at}.content[0]`, 'an object', part);
    const unknownPart = firstUnknown(part, ['type', 'text'], `${at}.content[0].`);
    if (unknownPart) return unknownPart;
    if (typeof part.text !== 'string') return missing(`${at}.content[0].text`);
    const partTypes = item.role === 'assistant' ? ['text', 'output_text'] : ['input_text'];
    if (part.type !== undefined && !partTypes.includes(part.type as string)) return invalidValue(`${at}.content[0].type`, part.type, partTypes);
  }
  return undefined;
}

function triggersError(triggers: unknown, param: string): ParamError | undefined {
  if (!Array.isArray(triggers)) return invalidType(param, 'an array', triggers);
  return triggers.length === 0 ? undefined : notEmulated(param, 'Decisions triggers');
}

/** `POST .../reject`: `status_code`, required, a SIP status from 300 to 699. */
export function liveRejectError(body: unknown): ParamError | undefined {
  if (!isObject(body)) return body === undefined ? missing('status_code') : invalidType('body', 'an object', body);
  const unknown = firstUnknown(body, ['status_code'], '');
  if (unknown) return unknown;
  const code = body.status_code;
  if (code === undefined) return missing('status_code');
  if (!Number.isInteger(code) || (code as number) < 300 || (code as number) > 699) {
    return { message: `Invalid 'status_code': ${String(code)}. Expected a SIP status code from 300 to 699.`, param: 'status_code', code: 'invalid_value' };
  }
  return undefined;
}

/** `POST .../refer`: `target_uri`, required and nonblank, for the SIP Refer-To header. */
export function liveReferError(body: unknown): ParamError | undefined {
  if (!isObject(body)) return body === undefined ? missing('target_uri') : invalidType('body', 'an object', body);
  const unknown = firstUnknown(body, ['target_uri'], '');
  if (unknown) return unknown;
  const target = body.target_uri;
  if (target === undefined) return missing('target_uri');
  if (typeof target !== 'string' || target.trim() === '' || !/^(tel|sips?):/.test(target)) {
    return { message: `Invalid 'target_uri': ${JSON.stringify(target)}. Expected a nonblank tel: or sip: URI.`, param: 'target_uri', code: 'invalid_value' };
  }
  return undefined;
}

/** `POST .../hangup` takes no parameters. */
export function liveHangupError(body: unknown): ParamError | undefined {
  if (body === undefined) return undefined;
  if (!isObject(body)) return invalidType('body', 'an object', body);
  return firstUnknown(body, [], '');
}

/**
 * `session.update` on a sideband: only `delegation` (same type as now) and `triggers` change;
 * model, instructions, audio, store and startup input are immutable (`immutable_field_update`,
 * the code the reference summary gives). `current` is the session's delegation type.
 */
export function liveUpdateError(update: unknown, current: 'client' | 'responses'): ParamError | undefined {
  const param = 'session';
  if (update === undefined) return missing(param);
  if (!isObject(update)) return invalidType(param, 'an object', update);
  const immutable = ['model', 'instructions', 'audio', 'store', 'input', 'type', 'safety_identifier'].find((key) => key in update);
  if (immutable) {
    return { message: `'${param}.${immutable}' cannot change after the session starts; only delegation and triggers can be updated.`, param: `${param}.${immutable}`, code: 'immutable_field_update' };
  }
  const unknown = firstUnknown(update, ['delegation', 'triggers'], `${param}.`);
  if (unknown) return unknown;
  if (update.triggers !== undefined) {
    const error = triggersError(update.triggers, `${param}.triggers`);
    if (error) return error;
  }
  const { delegation } = update;
  if (delegation === undefined) return undefined;
  const at = `${param}.delegation`;
  if (delegation === null) return current === 'client' ? undefined : { message: 'The delegation type cannot change during a session.', param: at, code: 'invalid_value' };
  if (!isObject(delegation)) return invalidType(at, 'an object', delegation);
  if (delegation.type !== current) {
    return { message: `The delegation type cannot change during a session (it is '${current}').`, param: `${at}.type`, code: 'invalid_value' };
  }
  const keys = current === 'client' ? ['type', 'acknowledgement_delay_ms'] : ['type', 'responses', 'acknowledgement_delay_ms'];
  const unknownKey = firstUnknown(delegation, keys, `${at}.`);
  if (unknownKey) return unknownKey;
  const delay = delegation.acknowledgement_delay_ms;
  if (delay !== undefined && (!Number.isInteger(delay) || (delay as number) < 0)) return invalidType(`${at}.acknowledgement_delay_ms`, 'a non-negative integer', delay);
  return delegation.responses === undefined ? undefined : responsesError(delegation.responses, `${at}.responses`, false);
}
