import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CallRecord } from '../core/calls/record';
import { engineOf, parseNumberConfig, type Engine, type NumberConfig } from '../core/numbers/config';
import { toE164 } from '../core/numbers/e164';
import type { Log } from '../core/runtime/log';
import type { CallHistoryStore } from '../core/store/call-history-store';
import type { WebhookSummary } from '../core/webhook/handle-webhook';
import { startDevStack, type DevStack, type DevStackOptions, type DevToolSigning, type DevTools } from './dev-stack';
import { freeLoopbackPort } from './ports';
import { SCRIPTS, startOpenAIEmulator, type ConversationScript, type OpenAIEmulator, type ScriptName } from './openai-emulator';
import type { PlaceEmulatorCall } from './webhook-host';

export const SCENARIOS = Object.keys(SCRIPTS) as ScriptName[];

/**
 * What happens on a simulated call: one of the emulator's scripts, or `tool:<name>`: the caller
 * asks, the model calls the number's HTTP tool <name> with arguments `{}`, says a line once it
 * has the answer, and the caller hangs up.
 */
export type Scenario = ScriptName | `tool:${string}`;

const TOOL_SCENARIO = /^tool:([A-Za-z0-9_-]+)$/;

/** The scenario `value` names, or why it names none. */
export function checkScenario(value: string): { ok: true; scenario: Scenario } | { ok: false; message: string } {
  if ((SCENARIOS as string[]).includes(value) || TOOL_SCENARIO.test(value)) return { ok: true, scenario: value as Scenario };
  return { ok: false, message: `unknown scenario "${value}": choose one of ${SCENARIOS.join(', ')}, or tool:<name> to have the agent call the number's tool <name>` };
}

/** Why `scenario` cannot play on `config`'s number (a `tool:` scenario naming a tool it lacks), if it cannot. */
export function scenarioProblem(scenario: Scenario, config: NumberConfig): string | undefined {
  const name = TOOL_SCENARIO.exec(scenario)?.[1];
  const tools = (config.tools ?? []).map((t) => t.name);
  if (name === undefined || tools.includes(name)) return undefined;
  return `scenario "${scenario}": ${config.number} has no tool "${name}" (${tools.length > 0 ? `its tools: ${tools.join(', ')}` : 'it has no tools'})`;
}

export function scenarioScript(scenario: Scenario): ConversationScript {
  const tool = TOOL_SCENARIO.exec(scenario)?.[1];
  if (tool === undefined) return SCRIPTS[scenario as ScriptName];
  return [{ caller: 'Could you look that up for me, please?' }, { tool, args: {} }, { agent: 'Thanks for waiting, I have that for you now.' }, { hangup: true }];
}

/** The demo number: the documented example config. */
export function demoNumber(engine: Engine = 'realtime'): NumberConfig {
  const doc = JSON.parse(readFileSync(join(__dirname, '../examples/support-line.json'), 'utf8'));
  if (engine === 'realtime') return parseNumberConfig(doc);
  // The same agent on GPT-Live: its instructions become the backend's, the front end keeps the voice's part.
  const { instructions, greeting } = doc.agent;
  return parseNumberConfig({ ...doc, agent: { engine: 'live', instructions: 'Warm, brief and clear. Delegate anything that needs looking up.', greeting, backend: { instructions } } });
}

/** The id the call is recorded under: the offer of the API the number's engine answers with. */
function answeringId(placed: { callId: string; liveSessionId?: string }, config: NumberConfig | undefined): string {
  return engineOf(config?.agent) === 'live' && placed.liveSessionId ? placed.liveSessionId : placed.callId;
}

export const DEMO_CALLER = '+14067704205';

export interface EmulatedStackOptions {
  /** Webhook server port (0 or absent: any free port). */
  port?: number;
  dynamodbPort?: number;
  dataDir?: string;
  /** `realistic` plays at a phone conversation's pace; `fast` for tests. */
  pace: 'realistic' | 'fast';
  log: Log;
  onWebhook?: (summary: WebhookSummary) => void;
  /** The numbers' HTTP tools run for real against the user's endpoints (local/dev-stack.ts `tools`). */
  tools?: DevTools;
  /** Serves `POST /emulator/calls` (`switchboard dev --emulator`, for `switchboard call`). */
  callControl?: boolean;
  /** Delivers finished calls to the numbers' `notify` endpoints (local/dev-stack.ts `deliveries`). */
  deliveries?: DevStackOptions['deliveries'];
}

export interface EmulatedStack {
  stack: DevStack;
  emulator: OpenAIEmulator;
  close(): Promise<void>;
}

/**
 * The local stack (local/dev-stack.ts) against the OpenAI emulator instead of OpenAI: a key and a
 * webhook secret made up for the session, the emulator's webhook pointed at the stack's own.
 */
export async function startEmulatedStack(opts: EmulatedStackOptions): Promise<EmulatedStack> {
  const apiKey = `sk-emulator-${randomBytes(12).toString('hex')}`;
  const webhookSecret = `whsec_${randomBytes(32).toString('base64')}`;
  // The emulator is told the webhook URL before the stack listens on it.
  const port = opts.port || (await freeLoopbackPort());
  const emulator = await startOpenAIEmulator({
    apiKey,
    webhook: { url: `http://127.0.0.1:${port}/webhook`, secret: webhookSecret },
    retrySchedule: [500, 1000, 2000],
    timing: opts.pace,
  });
  // What the webhook made of each call the control route placed, until the route answers with it.
  const webhooks = new Map<string, WebhookSummary>();
  let stack: DevStack | undefined;
  const placeEmulatorCall: PlaceEmulatorCall = async (request) => {
    if (!stack) return { status: 503, body: { error: 'switchboard dev is still starting: try again in a moment' } };
    const parsed = parseCallRequest(request);
    if (!parsed.ok) return { status: 400, body: { error: parsed.message } };
    const stored = await stack.numbers.get(parsed.number);
    const problem = stored && scenarioProblem(parsed.scenario, stored.config);
    if (problem) return { status: 400, body: { error: problem } };
    // Offered to both APIs, as a project subscribed to both sees each call: the number's engine answers.
    const placed = await emulator.placeCall({ dialed: parsed.number, caller: parsed.caller, script: scenarioScript(parsed.scenario), offer: ['realtime', 'live'] });
    const callId = answeringId(placed, stored?.config);
    const webhook = webhooks.get(callId);
    webhooks.delete(callId);
    return { status: 201, body: { callId, number: parsed.number, caller: parsed.caller, scenario: parsed.scenario, webhook, dynamodb: stack.dynamodb.endpoint } };
  };
  try {
    stack = await startDevStack({
      port,
      dynamodbPort: opts.dynamodbPort ?? 0,
      dataDir: opts.dataDir,
      openai: { apiKey, baseURL: emulator.baseURL },
      webhookSecret,
      log: opts.log,
      onWebhook: (summary) => {
        if (opts.callControl && summary.callId) webhooks.set(summary.callId, summary);
        opts.onWebhook?.(summary);
      },
      worker: { timings: opts.pace === 'fast' ? { transferTimeoutMs: 2000, hangupTimeoutMs: 2000, closeGraceMs: 500 } : {} },
      tools: opts.tools,
      ...(opts.deliveries && { deliveries: opts.deliveries }),
      ...(opts.callControl && { placeEmulatorCall }),
    });
  } catch (err) {
    await emulator.close();
    throw err;
  }
  const started = stack;
  return {
    stack: started,
    emulator,
    close: async () => {
      await emulator.close();
      await started.close();
    },
  };
}

/** The body of `POST /emulator/calls`: `{ number, caller?, scenario? }`. */
export function parseCallRequest(request: unknown): { ok: true; number: string; caller: string; scenario: Scenario } | { ok: false; message: string } {
  const { number, caller = DEMO_CALLER, scenario = 'question' } = (typeof request === 'object' && request !== null ? request : {}) as Record<string, unknown>;
  const dialed = typeof number === 'string' ? toE164(number) : undefined;
  if (!dialed) return { ok: false, message: `number ${JSON.stringify(number ?? null)} is not a valid phone number (expected E.164 with country code, e.g. +17134810111)` };
  const from = caller === 'anonymous' ? caller : typeof caller === 'string' ? toE164(caller) : undefined;
  if (!from) return { ok: false, message: `caller ${JSON.stringify(caller)} is not a valid phone number (expected E.164, e.g. ${DEMO_CALLER}, or "anonymous")` };
  const checked = checkScenario(typeof scenario === 'string' ? scenario : String(scenario));
  if (!checked.ok) return checked;
  return { ok: true, number: dialed, caller: from, scenario: checked.scenario };
}

/** Polls the call's record until the call is over; `onProgress` hears each change. Resolves with the final record. */
export async function followCall(calls: Pick<CallHistoryStore, 'get'>, callId: string, onProgress?: (record: CallRecord) => void): Promise<CallRecord> {
  let seen = '';
  for (;;) {
    const record = await calls.get(callId);
    if (record) {
      const snapshot = JSON.stringify(record);
      if (snapshot !== seen) {
        seen = snapshot;
        onProgress?.(record);
      }
      if (record.outcome !== 'active' && record.outcome !== 'pending') return record;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export interface SimulationOptions {
  scenario: Scenario;
  /** The number to call; default the demo number (examples/support-line.json). */
  config?: NumberConfig;
  /** Run the number's HTTP tools for real (`simulate --file`); without it a tool call is answered that the tool is not available. */
  tools?: DevTools;
  /** `realistic` plays at a phone conversation's pace; `fast` for tests. */
  pace: 'realistic' | 'fast';
  log: Log;
  /** The number is stored; `tools`: the signing secret its tool calls carry. */
  onConfigured?: (config: NumberConfig, tools?: DevToolSigning) => void;
  onWebhook?: (summary: WebhookSummary) => void;
  /** Called with the record each time it changes while the call runs. */
  onProgress?: (record: CallRecord) => void;
}

/**
 * One scripted call through the whole local stack: embedded DynamoDB, the webhook server and
 * the call worker, against the OpenAI emulator (which places the call and plays the caller and
 * the model). No key, no network. Resolves with the call's final record.
 */
export async function runSimulation(opts: SimulationOptions): Promise<CallRecord> {
  const { stack, emulator, close } = await startEmulatedStack({ pace: opts.pace, log: opts.log, onWebhook: opts.onWebhook, tools: opts.tools });
  try {
    const config = opts.config ?? demoNumber();
    await stack.numbers.put(config);
    opts.onConfigured?.(config, stack.tools);
    const placed = await emulator.placeCall({ dialed: config.number, caller: DEMO_CALLER, script: scenarioScript(opts.scenario), offer: ['realtime', 'live'] });
    return await followCall(stack.calls, answeringId(placed, config), opts.onProgress);
  } finally {
    await close();
  }
}
