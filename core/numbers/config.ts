import { validateHeaderValue } from 'node:http';
import { z } from 'zod';
import { END_CALL_TOOL, TRANSFER_TOOL } from '../calls/session-config';
import { SESSION_CAP_SECONDS } from '../openai/limits';
import { DEFAULTS, LIVE_DEFAULTS } from '../openai/models';
import { DEFAULT_TOOL_TIMEOUT_MS, MAX_TOOL_TIMEOUT_MS } from '../tools/limits';
import { checkEndpointUrl } from '../outbound/address';
import { DEFAULT_LOOKUP_TIMEOUT_MS, MAX_LOOKUP_TIMEOUT_MS } from '../calls/lookup';
import { DELIVERY_EVENTS } from '../delivery/delivery-plan';
import { DEFAULT_ANALYSIS_MODEL, strictSchemaProblem } from '../analysis/analysis-plan';
import { isStorableSecretName, secretNames } from '../tools/secret-headers';
import { toE164 } from './e164';
import { checkMcpUrl } from './mcp-url';
import { toolParametersProblem } from './tool-parameters';

/**
 * A number's config: how Switchboard answers calls to one dialed number. Users write it as
 * JSON or YAML; everything is checked before it is stored, so a call never meets a config that
 * OpenAI would refuse at accept time.
 */

const count = (n: number) => n.toLocaleString('en-US');

/**
 * Free text with an upper bound. The bounds keep the largest config, even in characters of 3
 * UTF-8 bytes each, well under DynamoDB's 400 KB item size, so a valid config can always be
 * stored (test/integration/cli-numbers.test.ts stores one with every field at its bound).
 */
const text = (whatIsOrAre: string, max: number, fix: string, missing?: string) =>
  z
    .string(missing === undefined ? undefined : { error: (issue) => (issue.input === undefined ? missing : undefined) })
    .max(max, { error: (issue) => `${whatIsOrAre} ${count((issue.input as string).length)} characters long; at most ${count(max)} are allowed: ${fix}` });

/**
 * Phone numbers are text. YAML reads an unquoted `+17134810111` as the number 17134810111
 * (dropping the `+`, and any leading zeros of `0017...`), so a number is refused with the fix
 * rather than guessed back into a phone number.
 */
const phoneText = (what: string) =>
  z.unknown().transform((value, ctx): string => {
    if (typeof value === 'number') {
      ctx.addIssue({ code: 'custom', message: `${what} ${value} was read as a number, not text: put it in quotes, e.g. "+${value}"` });
      return z.NEVER;
    }
    if (typeof value !== 'string') {
      ctx.addIssue({ code: 'custom', message: `${what} must be text, e.g. "+17134810111"` });
      return z.NEVER;
    }
    return value;
  });

const e164 = (what: string) =>
  phoneText(what).transform((value, ctx) => {
    const normalised = toE164(value);
    if (!normalised) {
      ctx.addIssue({
        code: 'custom',
        message: `${what} "${value}" is not a valid phone number (expected E.164 with country code, e.g. +17134810111)`,
      });
      return z.NEVER;
    }
    return normalised;
  });

const turnDetection = z
  .strictObject({
    type: z.enum(['semantic_vad', 'server_vad']).default('semantic_vad'),
    eagerness: z.enum(['low', 'medium', 'high', 'auto']).optional(),
    createResponse: z.boolean().optional(),
    interruptResponse: z.boolean().optional(),
    idleTimeoutMs: z.number().int().min(5000).max(30000).optional(),
  })
  .refine((td) => td.type === 'semantic_vad' || td.eagerness === undefined, {
    message: '"eagerness" applies only to semantic_vad turn detection',
    path: ['eagerness'],
  });

/**
 * OpenAI documents no length limit for Realtime instructions. GPT-Live, on the same SIP trunk,
 * takes up to 16,384 tokens (and asks for short prompts); at about 4 characters a token that is
 * 65,536 characters. Counted in characters, because tokens depend on the model's tokenizer.
 */
const MAX_INSTRUCTIONS = 65_536;

/** A model or voice name: OpenAI's are a few dozen characters. */
const identifier = z.string().min(1).max(100);

/** Said word for word as the agent picks up, on either engine. */
const greeting = text('the greeting is', 1_000, 'it is said word for word when the agent picks up, so keep it to a sentence or two').min(1).optional();

const realtimeAgent = z.strictObject({
  /** Absent means realtime: configs written before GPT-Live read as they were. */
  engine: z.literal('realtime').optional(),
  model: identifier.default(DEFAULTS.model),
  voice: identifier.default(DEFAULTS.voice),
  instructions: text('instructions are', MAX_INSTRUCTIONS, 'shorten them (a voice agent follows a short prompt best)').min(1, 'instructions must not be empty'),
  greeting,
  transcription: z
    .strictObject({
      model: identifier.default(DEFAULTS.transcriptionModel),
      language: z.string().min(2).max(16).optional(),
    })
    .default({ model: DEFAULTS.transcriptionModel }),
  turnDetection: turnDetection.default({ type: 'semantic_vad' }),
  maxOutputTokens: z.number().int().positive().optional(),
});

/** What GPT-Live does not take, and why: refused on a Live agent with the reason (`numbers validate` prints it). */
export const LIVE_REFUSED: Readonly<Record<string, string>> = {
  turnDetection: 'GPT-Live decides itself when to speak and when it is interrupted: it takes no turn detection',
  transcription: 'GPT-Live transcribes the call itself: it takes no transcription model',
  maxOutputTokens: 'GPT-Live takes no limit on its speech; bound the backend with backend.maxOutputTokens',
};

/**
 * A GPT-Live agent: a voice front end (`instructions`: voice, style, when to delegate) that hands
 * reasoning and tools to a backend Responses model (`backend.instructions`: the business rules),
 * as OpenAI's Live prompting guide splits them
 * (https://developers.openai.com/api/docs/guides/live-delegation).
 */
const liveAgent = z.strictObject({
  engine: z.literal('live'),
  model: identifier.default(LIVE_DEFAULTS.model),
  voice: identifier.default(LIVE_DEFAULTS.voice),
  instructions: text('instructions are', MAX_INSTRUCTIONS, 'keep the front end short: voice, style and when to delegate; business rules go in backend.instructions').min(1, 'instructions must not be empty'),
  greeting,
  backend: z
    .strictObject({
      model: identifier.default(LIVE_DEFAULTS.backendModel),
      instructions: text('the backend instructions are', MAX_INSTRUCTIONS, 'shorten them').min(1, 'backend instructions must not be empty').optional(),
      reasoning: z.strictObject({ effort: z.enum(['none', 'low', 'medium', 'high', 'xhigh']) }).optional(),
      maxOutputTokens: z.number().int().positive().optional(),
      /** OpenAI's hosted web search, for the backend (Live's backend takes function tools and web search only). */
      webSearch: z.boolean().default(false),
    })
    .default({ model: LIVE_DEFAULTS.backendModel, webSearch: false }),
});

/** A number's agent: Realtime's by default, GPT-Live's with `"engine": "live"`, each checked as its engine takes it. */
const agent = z.unknown().transform((raw, ctx) => {
  const live = typeof raw === 'object' && raw !== null && (raw as { engine?: unknown }).engine === 'live';
  const parsed = live ? liveAgent.safeParse(raw) : realtimeAgent.safeParse(raw);
  if (parsed.success) return parsed.data as z.output<typeof realtimeAgent> | z.output<typeof liveAgent>;
  for (const issue of parsed.error.issues) ctx.addIssue(issue as Parameters<typeof ctx.addIssue>[0]);
  return z.NEVER;
});

/** `+E164` (referred as `tel:`), `tel:+E164`, or a `sip:` URI, used exactly as written. */
const transferTarget = phoneText('transfer target').pipe(text('the transfer target is', 300, 'use a shorter sip: URI')).transform((value, ctx) => {
  if (/^sip:[^@\s]+@[^\s]+$/.test(value)) return value;
  const e164 = toE164(value.replace(/^tel:/, ''));
  if (e164) return e164;
  ctx.addIssue({
    code: 'custom',
    message: `transfer target "${value}" is neither an E.164 number (e.g. +17135550100) nor a sip: URI (e.g. sip:desk@pbx.example.com)`,
  });
  return z.NEVER;
});

const transfer = z.strictObject({
  name: z
    .string()
    .regex(/^[a-z][a-z0-9_-]{0,39}$/, 'transfer name must be lowercase letters, digits, "-" or "_" (the agent says it)'),
  description: text('the description is', 500, 'shorten it (the agent reads it to choose whom to transfer to)').min(1),
  target: transferTarget,
});

/** The most tools a number may have, besides Switchboard's own transfer_call and end_call. */
export const MAX_TOOLS = 20;

/**
 * The most a number's tools may be together, in UTF-8 bytes of JSON. Each field of a tool has its
 * own bound, but 20 tools at all of them would not fit in one DynamoDB item with the rest of the
 * config; this bound does (test/integration/cli-numbers.test.ts stores the largest config, tools
 * of the JSON that takes DynamoDB the most bytes included: about 323 KB of its 400 KB). It is
 * also about 16,000 tokens that the model reads on every turn.
 */
export const MAX_TOOLS_JSON_BYTES = 64 * 1024;

/** OpenAI's limit for a function's description. */
const MAX_TOOL_DESCRIPTION = 1_024;
const MAX_TOOL_HEADERS = 20;
const MAX_HEADER_NAME = 100;
const MAX_HEADER_VALUE = 1_000;
const MAX_REDACTED_FIELDS = 50;

/** Headers Switchboard writes itself, and why: the request is signed as Switchboard sends it. */
const SWITCHBOARD_HEADERS: Record<string, string> = {
  'content-type': 'the request is JSON, and says so',
  'content-length': "it is the length of the request's body",
  'transfer-encoding': 'the body is sent whole, with its length',
  'user-agent': 'it names Switchboard and its version',
  'webhook-id': 'webhook-id, webhook-timestamp and webhook-signature are its Standard Webhooks signature of the request',
  'webhook-timestamp': 'webhook-id, webhook-timestamp and webhook-signature are its Standard Webhooks signature of the request',
  'webhook-signature': 'webhook-id, webhook-timestamp and webhook-signature are its Standard Webhooks signature of the request',
  host: 'it comes from the url',
  connection: 'each tool call has a connection of its own',
};

/** An HTTP token (RFC 9110), what a header name is made of. */
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** Why a header value is refused, or undefined. Checked with its `{{secret:NAME}}` references as written; the runner checks again once they are filled. */
function headerValueProblem(name: string, value: string): string | undefined {
  if (/[\r\n]/.test(value)) return `header "${name}" has a line break: a header value is one line`;
  try {
    validateHeaderValue(name, value);
  } catch {
    return `header "${name}" has a character HTTP cannot carry (a control character, or one beyond U+00FF)`;
  }
  const placeholders = value.match(/\{\{[^{}]*\}\}/g) ?? [];
  // A reference is what the runner fills (core/tools/secret-headers.ts); anything else would be sent as written.
  const notSecret = placeholders.find((p) => secretNames({ [name]: p }).length !== 1);
  if (notSecret) return `header "${name}": "${notSecret}" is not a secret reference: write {{secret:NAME}}, NAME without spaces or braces`;
  if (/\{\{|\}\}/.test(value.replace(/\{\{[^{}]*\}\}/g, ''))) return `header "${name}" has "{{" or "}}" outside a secret reference: write {{secret:NAME}}`;
  const unstorable = secretNames({ [name]: value }).find((secret) => !isStorableSecretName(secret));
  if (unstorable) return `header "${name}": secret name "${unstorable}" cannot be stored: NAME may hold letters, digits and - _ . / + = @ (at most 256), as \`switchboard secrets set tool:NAME\` takes it`;
  return undefined;
}

/**
 * Headers a user gives with `{{secret:NAME}}` references, for an HTTP tool (Switchboard sends
 * them) or an MCP server (OpenAI's MCP client sends them). `reserved` names the headers whoever
 * sends the request writes itself, each with why; `setBy` names who that is.
 */
const headerRecord = (setBy: string, reserved: Record<string, string>) =>
  z.record(z.string(), text('the header value is', MAX_HEADER_VALUE, 'put long credentials in a secret, {{secret:NAME}}')).superRefine((headers, ctx) => {
    const names = Object.keys(headers);
    if (names.length > MAX_TOOL_HEADERS) ctx.addIssue({ code: 'custom', message: `at most ${MAX_TOOL_HEADERS} headers` });
    const seen = new Set<string>();
    for (const name of names) {
      const lower = name.toLowerCase();
      const problem =
        name.length > MAX_HEADER_NAME
          ? `the header name is ${count(name.length)} characters long; at most ${MAX_HEADER_NAME} are allowed`
          : !HEADER_NAME.test(name)
            ? `header name "${name}" is not an HTTP header name: use letters, digits and ! # $ % & ' * + - . ^ _ \` | ~ (no spaces or colons)`
            : Object.hasOwn(reserved, lower)
              ? `header "${name}" is set by ${setBy}: ${reserved[lower]}; remove it`
              : seen.has(lower)
                ? `header "${name}" is given twice (header names ignore case)`
                : headerValueProblem(name, headers[name]);
      seen.add(lower);
      if (problem) ctx.addIssue({ code: 'custom', path: [name], message: problem });
    }
  });

const toolHeaders = headerRecord('Switchboard', SWITCHBOARD_HEADERS);

/** A whole number of milliseconds in a range; `why` says what it is for. */
const millis = (field: string, min: number, max: number, why: string) => {
  const message = `${field} must be a whole number of milliseconds from ${count(min)} to ${count(max)} (${why})`;
  return z.number({ error: message }).int({ error: message }).min(min, { error: message }).max(max, { error: message });
};

const toolName = z
  .string({ error: (issue) => (issue.input === undefined ? 'a tool needs a "name": the function name the model calls, e.g. "lookup_order"' : undefined) })
  .regex(/^[a-zA-Z0-9_-]{1,64}$/, { error: (issue) => `tool name "${issue.input}" must be 1 to 64 letters, digits, "_" or "-" (OpenAI's rule for function names)` })
  .refine((name) => name !== TRANSFER_TOOL, { error: `tool name "${TRANSFER_TOOL}" is Switchboard's own tool for transfers (see "transfers"): choose another name` })
  .refine((name) => name !== END_CALL_TOOL, { error: `tool name "${END_CALL_TOOL}" is Switchboard's own tool for hanging up (see "endCall"): choose another name` });

/** Fields of a call's arguments (or answer) that its record shows as "[redacted]" (core/tools/redact.ts). */
const redactedFields = z
  .array(text('the redacted field is', 100, 'name the field as the arguments or the answer name it').min(1, 'a redacted field must be named'))
  .max(MAX_REDACTED_FIELDS, `at most ${MAX_REDACTED_FIELDS} redacted fields`);

/** Refuses an address Switchboard would not POST to; core/outbound/address.ts checks it again before each request. */
function checkedEndpoint(what: string) {
  return (url: string, ctx: z.RefinementCtx): string => {
    const checked = checkEndpointUrl(url, what);
    if (!checked.ok) ctx.addIssue({ code: 'custom', message: checked.problem });
    return url;
  };
}

/** A function the agent may call: Switchboard POSTs the model's arguments to `url` (core/tools/http-tool.ts). */
const tool = z
  .strictObject({
    name: toolName,
    description: text('the description is', MAX_TOOL_DESCRIPTION, 'OpenAI takes no longer description of a function', 'a tool needs a "description": what it does, which the model reads to choose when to call it').min(1, 'the description must not be empty: the model reads it to choose when to call the tool'),
    parameters: z
      .unknown()
      .transform((parameters, ctx): Record<string, unknown> => {
        const problem = toolParametersProblem(parameters);
        if (problem) ctx.addIssue({ code: 'custom', path: problem.path, message: problem.message });
        return parameters as Record<string, unknown>;
      })
      .default(() => ({ type: 'object', properties: {} })),
    url: text('the url is', 2_048, 'use a shorter address', 'a tool needs a "url": where Switchboard POSTs the call, e.g. https://api.example.com/voice/orders').transform(checkedEndpoint('the tool url')),
    headers: toolHeaders.default(() => ({})),
    timeoutMs: millis('timeoutMs', 100, MAX_TOOL_TIMEOUT_MS, 'the caller waits meanwhile').default(DEFAULT_TOOL_TIMEOUT_MS),
    whileWaiting: text('whileWaiting is', 300, 'it is said word for word while the tool runs, so keep it to a sentence').min(1, 'whileWaiting must not be empty: leave it out to say nothing').optional(),
    whileWaitingAfterMs: millis('whileWaitingAfterMs', 0, MAX_TOOL_TIMEOUT_MS, 'how long the caller waits in silence before whileWaiting is said').default(1000),
    redact: redactedFields.default(() => []),
    record: z.literal('full', { error: 'record must be "full" (the answer\'s text goes in the call\'s record) or left out (only its size and status do)' }).optional(),
    allowPrivateNetwork: z.boolean().default(false),
  })
  .superRefine((t, ctx) => {
    if (t.whileWaiting !== undefined && t.whileWaitingAfterMs >= t.timeoutMs) {
      ctx.addIssue({
        code: 'custom',
        path: ['whileWaitingAfterMs'],
        message: `whileWaiting would never be said: whileWaitingAfterMs (${count(t.whileWaitingAfterMs)}) must be less than timeoutMs (${count(t.timeoutMs)})`,
      });
    }
  });

const tools = z
  .array(tool)
  .max(MAX_TOOLS, `at most ${MAX_TOOLS} tools: the model reads every one on every turn`)
  .superRefine((list, ctx) => {
    const names = list.map((t) => t.name);
    names.forEach((name, i) => {
      if (names.indexOf(name) !== i) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `tool name "${name}" is used twice` });
    });
    const size = Buffer.byteLength(JSON.stringify(list));
    if (size > MAX_TOOLS_JSON_BYTES) {
      ctx.addIssue({
        code: 'custom',
        message: `the tools are ${count(size)} bytes as JSON together; at most ${count(MAX_TOOLS_JSON_BYTES)} (${MAX_TOOLS_JSON_BYTES / 1024} KiB) are allowed: shorten their descriptions and parameters (the model reads every tool on every turn, and the whole config is stored as one DynamoDB item)`,
      });
    }
  })
  .default(() => []);

/** The most MCP servers a number may have: the Realtime engine lists each one's tools as the call starts. */
export const MAX_MCP_SERVERS = 10;
/** The most tool names one server's `allowedTools` may hold. */
export const MAX_MCP_ALLOWED_TOOLS = 50;
/**
 * The most a number's MCP servers may be together, in UTF-8 bytes of JSON: each field has its own
 * bound, but ten servers with twenty 1,000-character headers each would not fit in one DynamoDB
 * item with the largest tools; 16 KiB does, beside them.
 */
export const MAX_MCP_JSON_BYTES = 16 * 1024;

/**
 * Headers OpenAI's MCP client writes itself (the MCP Streamable HTTP transport,
 * https://modelcontextprotocol.io/specification/2025-06-18/basic/transports): a user's value
 * would clash with the client's, or break the session. `Authorization` is the user's to give.
 */
const MCP_CLIENT_HEADERS: Record<string, string> = {
  'content-type': 'the MCP requests are JSON-RPC, and say so',
  'content-length': "it is the length of the request's body",
  'transfer-encoding': 'the client frames its requests itself',
  accept: 'the MCP transport says which answers the client takes (JSON or an event stream)',
  'mcp-session-id': 'it is the MCP session the server gave the client',
  'mcp-protocol-version': 'it is the MCP version the client and the server agreed',
  'last-event-id': 'the client resumes an event stream with it',
  host: 'it comes from the url',
  connection: 'the client manages its connections',
};

/**
 * `server_label`. OpenAI's reference says only "a label for this MCP server, used to identify it
 * in tool calls" and does not give its rules (unconfirmed); its examples are `openai_docs`,
 * `google_calendar`. The rule here is narrower than any plausible one: a letter, then letters,
 * digits, "_" or "-", at most 64, so a label that passes here is one OpenAI takes.
 */
const mcpLabel = z
  .string({ error: (issue) => (issue.input === undefined ? 'an MCP server needs a "label": the name the agent knows it by, e.g. "orders"' : undefined) })
  .regex(/^[A-Za-z][A-Za-z0-9_-]{0,63}$/, {
    error: (issue) => `MCP server label "${issue.input}" must start with a letter and be at most 64 letters, digits, "_" or "-" (OpenAI names the server by it in every MCP call)`,
  });

/** An MCP tool's name as the MCP specification advises (1 to 128 of A-Z a-z 0-9 _ - .). */
const mcpToolName = z.string().regex(/^[A-Za-z0-9_.-]{1,128}$/, {
  error: (issue) => `MCP tool name "${issue.input}" must be 1 to 128 letters, digits, "_", "-" or "." (the MCP specification's rule for tool names)`,
});

/**
 * A remote MCP server the Realtime engine calls itself during the call (not Switchboard): the
 * worker adds it to the session with `session.update` once it attaches, with its headers'
 * `{{secret:NAME}}` filled (core/worker/mcp-session.ts), so no secret is in the accept.
 */
const mcpServer = z.strictObject({
  label: mcpLabel,
  url: text('the url is', 2_048, 'use a shorter address', 'an MCP server needs a "url": its Streamable HTTP endpoint, e.g. https://mcp.example.com/mcp').transform((url, ctx) => {
    const checked = checkMcpUrl(url);
    if (!checked.ok) ctx.addIssue({ code: 'custom', message: checked.problem });
    return url;
  }),
  description: text('the description is', MAX_TOOL_DESCRIPTION, 'the model reads it to choose the server, so keep it to a few sentences').min(1, 'the description must not be empty: leave it out to give none').optional(),
  allowedTools: z
    .array(mcpToolName)
    .min(1, 'allowedTools must name at least one tool: leave it out to allow all the server\'s tools')
    .max(MAX_MCP_ALLOWED_TOOLS, `at most ${MAX_MCP_ALLOWED_TOOLS} allowed tools`)
    .superRefine((names, ctx) => {
      names.forEach((name, i) => {
        if (names.indexOf(name) !== i) ctx.addIssue({ code: 'custom', path: [i], message: `MCP tool name "${name}" is listed twice` });
      });
    })
    .optional(),
  headers: headerRecord("OpenAI's MCP client", MCP_CLIENT_HEADERS).optional(),
  redact: redactedFields.optional(),
});

const mcpServers = z
  .array(mcpServer)
  .max(MAX_MCP_SERVERS, `at most ${MAX_MCP_SERVERS} MCP servers: each one's tools are listed as the call starts, and the model reads them on every turn`)
  .superRefine((list, ctx) => {
    const labels = list.map((s) => s.label.toLowerCase());
    labels.forEach((label, i) => {
      if (labels.indexOf(label) !== i) ctx.addIssue({ code: 'custom', path: [i, 'label'], message: `MCP server label "${list[i].label}" is used twice (labels ignore case)` });
    });
    const size = Buffer.byteLength(JSON.stringify(list));
    if (size > MAX_MCP_JSON_BYTES) {
      ctx.addIssue({
        code: 'custom',
        message: `the MCP servers are ${count(size)} bytes as JSON together; at most ${count(MAX_MCP_JSON_BYTES)} (${MAX_MCP_JSON_BYTES / 1024} KiB) are allowed: shorten their descriptions and headers (the whole config is stored as one DynamoDB item)`,
      });
    }
  })
  .default(() => []);

/**
 * Asked before each call is answered (core/webhook/lookup.ts): the webhook POSTs the call to
 * `url`, signed, and waits at most `timeoutMs` while the caller hears ringing. No headers: the
 * webhook holds no tool secrets, and the signature is what proves the request is Switchboard's.
 */
const lookup = z.strictObject({
  url: text('the lookup url is', 2_048, 'use a shorter address', 'a lookup needs a "url": where Switchboard POSTs each incoming call, e.g. https://api.example.com/voice/caller').transform(checkedEndpoint('the lookup url')),
  timeoutMs: millis('timeoutMs', 100, MAX_LOOKUP_TIMEOUT_MS, 'the caller hears ringing meanwhile').default(DEFAULT_LOOKUP_TIMEOUT_MS),
  allowPrivateNetwork: z.boolean().default(false),
});

/**
 * Where the number's finished calls are delivered (core/delivery/deliver-call.ts): a signed POST
 * of the whole call for each event subscribed, retried for a day.
 */
const notify = z.strictObject({
  url: text('the notify url is', 2_048, 'use a shorter address', 'notify needs a "url": where Switchboard POSTs each finished call, e.g. https://crm.example.com/voice/calls').transform(checkedEndpoint('the notify url')),
  events: z
    .array(z.enum(DELIVERY_EVENTS, { error: `an event is one of ${DELIVERY_EVENTS.join(', ')}` }))
    .min(1, 'notify needs at least one event (leave "events" out for call.ended)')
    .refine((events) => new Set(events).size === events.length, 'an event is listed twice')
    .default(['call.ended']),
  allowPrivateNetwork: z.boolean().default(false),
});

/**
 * After the call: a summary and the fields the business asks for (core/analysis/), stored on the
 * record before the call is delivered. `fields` is a JSON Schema object in the strict form
 * structured outputs take.
 */
const analysis = z
  .strictObject({
    summary: z.boolean().default(true),
    fields: z
      .unknown()
      .transform((fields, ctx): Record<string, unknown> => {
        const problem = toolParametersProblem(fields) ?? strictSchemaProblem(fields);
        if (problem) ctx.addIssue({ code: 'custom', path: problem.path, message: problem.message.replace(/^parameters/, 'fields') });
        return fields as Record<string, unknown>;
      })
      .optional(),
    instructions: text('the analysis instructions are', 4_000, 'say briefly what to look for').min(1).optional(),
    model: identifier.default(DEFAULT_ANALYSIS_MODEL),
  })
  .refine((a) => a.summary || a.fields !== undefined, { message: 'analysis asks for nothing: set "summary": true or give "fields"' });

export const numberConfigSchema = z
  .strictObject({
      number: e164('number'),
      label: text('the label is', 100, 'shorten it').optional(),
      enabled: z.boolean().default(true),
      agent: agent.optional(),
      transfers: z.array(transfer).max(20, 'at most 20 transfer targets: the agent chooses among them by name').default([]),
      tools,
      mcp: mcpServers,
      lookup: lookup.optional(),
      notify: notify.optional(),
      analysis: analysis.optional(),
      endCall: z.strictObject({ enabled: z.boolean().default(true) }).default({ enabled: true }),
      limits: z
        .strictObject({
          // OpenAI ends every session at 60 minutes.
          maxCallSeconds: z.number().int().min(30).max(SESSION_CAP_SECONDS).default(1800),
          maxConcurrentCalls: z.number().int().positive().optional(),
        })
        .default({ maxCallSeconds: 1800 }),
      callers: z
        .strictObject({ block: z.array(e164('blocked caller')).max(1_000, 'at most 1,000 blocked callers').default([]) })
        .default({ block: [] }),
  })
  .superRefine((config, ctx) => {
    if (config.agent?.engine === 'live' && config.mcp.length > 0) {
      ctx.addIssue({ code: 'custom', path: ['mcp'], message: "a GPT-Live agent calls no MCP servers (its backend takes function tools and web search only): remove \"mcp\", or give the tools as HTTP tools" });
    }
    if (config.enabled && !config.agent) {
      ctx.addIssue({ code: 'custom', path: ['agent'], message: 'an enabled number needs an "agent" (instructions, voice, ...)' });
    }
    const names = config.transfers.map((t) => t.name);
    names.forEach((name, i) => {
      if (names.indexOf(name) !== i) {
        ctx.addIssue({ code: 'custom', path: ['transfers', i, 'name'], message: `transfer name "${name}" is used twice` });
      }
    });
  });

export type NumberConfig = z.output<typeof numberConfigSchema>;
export type AgentConfig = NonNullable<NumberConfig['agent']>;
export type RealtimeAgentConfig = Exclude<AgentConfig, { engine: 'live' }>;
export type LiveAgentConfig = Extract<AgentConfig, { engine: 'live' }>;
/** Which OpenAI API answers a number's calls. */
export type Engine = 'realtime' | 'live';
export const engineOf = (agent: AgentConfig | undefined): Engine => (agent?.engine === 'live' ? 'live' : 'realtime');
export type TransferConfig = NumberConfig['transfers'][number];
/**
 * One of a number's HTTP tools: what the runner takes (an HttpToolConfig, as it is: the test of
 * the config says so to the compiler) and what the session adds (description, parameters,
 * whileWaiting).
 */
export type NumberTool = NumberConfig['tools'][number];
/** One of a number's MCP servers, as configured (headers with their `{{secret:NAME}}` references). */
export type NumberMcpServer = NumberConfig['mcp'][number];
/** Where a number's finished calls are delivered. */
export type NumberNotify = NonNullable<NumberConfig['notify']>;
/** A number's lookup before answering. */
export type NumberLookup = NonNullable<NumberConfig['lookup']>;

export interface ConfigProblem {
  /** Where in the document, e.g. `agent.turnDetection.threshold` or `transfers[1].target`. */
  path: string;
  message: string;
}

export class InvalidNumberConfigError extends Error {
  constructor(readonly problems: ConfigProblem[]) {
    super(
      `invalid number config:\n${problems.map((p) => `  - ${p.path ? `${p.path}: ` : ''}${p.message}`).join('\n')}`,
    );
    this.name = 'InvalidNumberConfigError';
  }
}

function pathText(path: readonly PropertyKey[]): string {
  return path
    .map((part, i) => (typeof part === 'number' ? `[${part}]` : `${i === 0 ? '' : '.'}${String(part)}`))
    .join('');
}

/** Every problem in a document, each with its path; empty when the document is valid. */
export function checkNumberConfig(doc: unknown): { config?: NumberConfig; problems: ConfigProblem[] } {
  const result = numberConfigSchema.safeParse(doc);
  if (result.success) return { config: result.data, problems: [] };
  return { problems: result.error.issues.flatMap((issue) => describeIssue(issue)) };
}

/** OpenAI refuses these turn-detection fields for SIP calls (400 at accept). */
const SIP_REFUSED_TURN_DETECTION = ['threshold', 'prefix_padding_ms', 'silence_duration_ms', 'prefixPaddingMs', 'silenceDurationMs'];

/** Fields users put at the top level that belong to the agent. */
const AGENT_FIELDS = ['greeting', 'instructions', 'voice', 'model', 'transcription', 'turnDetection'];

function unknownFieldMessage(path: readonly PropertyKey[], key: string): string {
  const where = pathText(path);
  if (where === 'agent.turnDetection' && SIP_REFUSED_TURN_DETECTION.includes(key)) {
    return `"${key}" cannot be set for phone calls: OpenAI refuses it for SIP sessions (allowed: type, eagerness, createResponse, interruptResponse, idleTimeoutMs)`;
  }
  if (where === 'agent' && LIVE_REFUSED[key]) return `"${key}" cannot be set for a GPT-Live agent: ${LIVE_REFUSED[key]}`;
  if (where === 'agent' && key === 'backend') return '"backend" is for GPT-Live agents: set "engine": "live" (a Realtime agent\'s model does its own reasoning and tools)';
  if (where === '' && AGENT_FIELDS.includes(key)) {
    return `unknown field "${key}": it belongs inside "agent" (agent.${key})`;
  }
  return `unknown field "${key}"`;
}

function describeIssue(issue: z.core.$ZodIssue): ConfigProblem[] {
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => ({ path: pathText([...issue.path, key]), message: unknownFieldMessage(issue.path, key) }));
  }
  return [{ path: pathText(issue.path), message: issue.message }];
}

/** Parses a number config, throwing one error that lists every problem. */
export function parseNumberConfig(doc: unknown): NumberConfig {
  const { config, problems } = checkNumberConfig(doc);
  if (!config) throw new InvalidNumberConfigError(problems);
  return config;
}
