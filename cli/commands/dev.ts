import { readDefaultNotify } from '../../core/delivery/default-notify';
import type { NumberNotify } from '../../core/numbers/config';
import type { Command } from 'commander';
import { jsonLog, logLevelFrom } from '../../core/runtime/log';
import { checkWebhookSecretFormat } from '../../core/webhook/signature';
import { startDevStack, type DevStack, type DevTools, type DevToolSigning } from '../../local/dev-stack';
import { SCENARIOS, startEmulatedStack } from '../../local/simulation';
import { CliError, EXIT } from '../errors';
import type { Output } from '../output';
import { untilStopped } from '../stop-signal';

export function portArgument(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new CliError(`port must be a number from 0 to 65535, got "${value}"`, EXIT.usage);
  return n;
}

/** Environment variable of the tool signing secret `switchboard dev` signs HTTP tool calls with. */
export const TOOL_SIGNING_SECRET_ENV = 'SWITCHBOARD_TOOL_SIGNING_SECRET';

/** Shortens `switchboard dev`'s delivery retries for local testing: 0.01 makes the first wait 0.3 s instead of 30 s. */
export const DELIVERY_BACKOFF_SCALE_ENV = 'SWITCHBOARD_DELIVERY_BACKOFF_SCALE';

/** Where `switchboard dev` delivers the calls of numbers without their own `notify`. */
export const NOTIFY_ENV = { url: 'SWITCHBOARD_NOTIFY_URL', events: 'SWITCHBOARD_NOTIFY_EVENTS' } as const;

/** The delivery settings from the environment, checked now. */
export function devDeliveries(env: NodeJS.ProcessEnv): { backoffScale: number; defaultNotify?: NumberNotify } {
  const raw = env[DELIVERY_BACKOFF_SCALE_ENV]?.trim();
  const scale = raw ? Number(raw) : 1;
  if (!(scale > 0 && scale <= 1)) throw new CliError(`${DELIVERY_BACKOFF_SCALE_ENV} must be a number above 0 and at most 1 (e.g. 0.01), not "${raw}"`, EXIT.usage);
  let defaultNotify: NumberNotify | undefined;
  try {
    // Locally the default may be a server on this machine, as a number's own notify may.
    defaultNotify = readDefaultNotify(env[NOTIFY_ENV.url], env[NOTIFY_ENV.events], NOTIFY_ENV, true);
  } catch (error) {
    throw new CliError((error as Error).message, EXIT.usage);
  }
  return { backoffScale: scale, ...(defaultNotify && { defaultNotify }) };
}

/** Environment variable `switchboard dev` reads `{{secret:NAME}}` from: NAME upper-cased, `-` as `_` (orders-api: SWITCHBOARD_TOOL_SECRET_ORDERS_API). */
export function toolSecretEnvName(name: string): string {
  return `SWITCHBOARD_TOOL_SECRET_${name.toUpperCase().replace(/-/g, '_')}`;
}

/** The tool signing secret from the environment, checked now: a malformed one would fail every tool call. */
function toolSigningSecretFromEnv(env: NodeJS.ProcessEnv): string | undefined {
  const value = env[TOOL_SIGNING_SECRET_ENV]?.trim();
  if (!value) return undefined;
  const unset = `or unset it and \`switchboard dev\` uses the stored one or generates one`;
  try {
    checkWebhookSecretFormat(value);
  } catch {
    throw new CliError(`${TOOL_SIGNING_SECRET_ENV} must be "whsec_" followed by base64, as \`switchboard secrets get tool-signing-secret\` prints it; ${unset}`, EXIT.usage);
  }
  // A third party's endpoint that verifies tool calls must not be able to forge OpenAI's webhooks.
  if (value === env.OPENAI_WEBHOOK_SECRET?.trim()) {
    throw new CliError(`${TOOL_SIGNING_SECRET_ENV} is OPENAI_WEBHOOK_SECRET: tool calls need a signing secret of their own (an endpoint that verifies them could otherwise forge OpenAI's webhooks); set another, ${unset}`, EXIT.usage);
  }
  return value;
}

/**
 * HTTP tools of `switchboard dev` from its environment: the signing secret (else the stored or a
 * generated one) and `{{secret:NAME}}` from SWITCHBOARD_TOOL_SECRET_<NAME>, read at call time;
 * what `switchboard secrets set ... --endpoint` stored answers the names the environment does not.
 */
export function devTools(env: NodeJS.ProcessEnv): DevTools {
  const signingSecret = toolSigningSecretFromEnv(env);
  return { ...(signingSecret && { signingSecret }), secret: async (name) => env[toolSecretEnvName(name)] };
}

function describeToolSigning(tools: DevToolSigning, endpoint: string, dataDir: string): string {
  switch (tools.source) {
    case 'given':
      return `tools: signed with ${TOOL_SIGNING_SECRET_ENV}`;
    case 'stored':
      return `tools: signed with the tool signing secret stored in ${dataDir} (print it: npx switchboard secrets get tool-signing-secret --endpoint ${endpoint})`;
    case 'generated':
      // Printed this once: the user's local endpoint verifies tool calls with it. Kept for the next start.
      return `tools: generated a tool signing secret, stored in ${dataDir}; verify tool calls with it (or set ${TOOL_SIGNING_SECRET_ENV}): ${tools.signingSecret}`;
  }
}

interface DevOptions {
  port: number;
  dataDir: string;
  dynamodbPort: number;
  emulator?: boolean;
  fast?: boolean;
}

/** `dev`: against OpenAI (or OPENAI_BASE_URL), with the user's key and webhook secret. */
async function startAgainstOpenAI(opts: DevOptions, tools: DevTools): Promise<DevStack> {
  const missing = ['OPENAI_API_KEY', 'OPENAI_WEBHOOK_SECRET'].filter((name) => !process.env[name]);
  if (missing.length > 0) {
    throw new CliError(
      `${missing.join(' and ')} ${missing.length > 1 ? 'are' : 'is'} not set: export your OpenAI API key and the project's webhook signing secret (whsec_...), ` +
        'or run `switchboard dev --emulator` (or `switchboard simulate`) to try everything against the built-in OpenAI emulator',
      EXIT.usage,
    );
  }
  // Checked now, not on the first call: a malformed secret would fail every webhook with a 500.
  try {
    checkWebhookSecretFormat(process.env.OPENAI_WEBHOOK_SECRET!);
  } catch (err) {
    throw new CliError(`OPENAI_WEBHOOK_SECRET: ${(err as Error).message}`, EXIT.usage);
  }
  return startDevStack({
    port: opts.port,
    dynamodbPort: opts.dynamodbPort,
    dataDir: opts.dataDir,
    openai: { apiKey: process.env.OPENAI_API_KEY!, baseURL: process.env.OPENAI_BASE_URL || undefined },
    webhookSecret: process.env.OPENAI_WEBHOOK_SECRET!,
    log: devLog(),
    worker: {},
    tools,
    deliveries: devDeliveries(process.env),
  });
}

const devLog = () => jsonLog('switchboard-dev', { level: logLevelFrom(process.env.LOG_LEVEL) });

export function registerDevCommand(program: Command, out: Output): void {
  program
    .command('dev')
    .description(
      'run Switchboard locally: webhook server, call worker, embedded DynamoDB (reads OPENAI_API_KEY, OPENAI_WEBHOOK_SECRET, OPENAI_BASE_URL, none of them with --emulator; ' +
        `for HTTP tools ${TOOL_SIGNING_SECRET_ENV} and SWITCHBOARD_TOOL_SECRET_<NAME>, or what \`switchboard secrets set ... --endpoint\` stored)`,
    )
    .option('--port <port>', 'webhook server port', portArgument, 8787)
    .option('--data-dir <dir>', 'where the embedded DynamoDB keeps its data', '.switchboard')
    .option('--dynamodb-port <port>', 'embedded DynamoDB port', portArgument, 8000)
    .option('--emulator', 'answer calls from the built-in OpenAI emulator instead of OpenAI (no key, no network); place them with `switchboard call <number>`')
    .option('--fast', 'with --emulator: play calls as fast as possible instead of at a phone conversation\'s pace')
    .action(async (opts: DevOptions) => {
      if (opts.fast && !opts.emulator) throw new CliError('--fast goes with --emulator: calls from OpenAI play at their own pace', EXIT.usage);
      const tools = devTools(process.env);
      const started = opts.emulator
        ? startEmulatedStack({ port: opts.port, dynamodbPort: opts.dynamodbPort, dataDir: opts.dataDir, pace: opts.fast ? 'fast' : 'realistic', log: devLog(), tools, callControl: true, deliveries: devDeliveries(process.env) })
        : startAgainstOpenAI(opts, tools).then((stack) => ({ stack, close: () => stack.close() }));
      const { stack, close } = await started.catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'EADDRINUSE') {
          throw new CliError(`port ${(err as { port?: number }).port ?? ''} is already in use: stop what holds it or pass --port / --dynamodb-port`, EXIT.failure);
        }
        throw err;
      });
      const stopped = untilStopped();
      out.note(`switchboard dev: webhook ${stack.webhookUrl}, DynamoDB ${stack.dynamodb.endpoint}, data in ${opts.dataDir}`);
      out.note(`configure a number: npx switchboard numbers put <number> --file <config.json> --endpoint ${stack.dynamodb.endpoint}`);
      out.note(describeToolSigning(stack.tools!, stack.dynamodb.endpoint, opts.dataDir));
      if (opts.emulator) {
        const port = new URL(stack.url).port;
        out.note(`emulator: calls come from the built-in OpenAI emulator (no key, no network, a webhook secret made up for this run)`);
        out.note(`place a call: npx switchboard call <number> [--from <caller>] [--scenario ${SCENARIOS.join('|')}|tool:<name>] --port ${port}`);
      }
      await stopped;
      out.note('switchboard dev: stopping');
      await close();
    });
}
