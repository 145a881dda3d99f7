import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Command } from 'commander';
import OpenAI from 'openai';
import WebSocket from 'ws';
import type { CallRecord } from '../../core/calls/record';
import { routeCall } from '../../core/calls/route';
import type { NumberConfig } from '../../core/numbers/config';
import { dayOf } from '../../core/openai/models';
import { silentLog } from '../../core/runtime/log';
import { createDynamoDBClient } from '../../core/store/dynamodb-client';
import { runHttpTool, type HttpToolCall, type HttpToolResult } from '../../core/tools/http-tool';
import type { ReadSecret } from '../../core/tools/secret-headers';
import { LiveBackendTrialModel } from '../../core/trial/live-backend-trial-model';
import { RealtimeTrialModel } from '../../core/trial/realtime-trial-model';
import { TextTrial, TrialError, type TrialModel } from '../../core/trial/text-trial';
import { realtimeUrl } from '../../core/worker/sideband';
import { LocalSecrets } from '../../local/dynamodb';
import { DEMO_CALLER } from '../../local/simulation';
import { deployedToolRunner, toolSecrets } from '../../service/tool-runner';
import { resolveDataTarget, withDataOptions, type DataOptions } from '../data-target';
import { readStackOutputs, type StackOutputs } from '../deployed-stack';
import { CliError, EXIT } from '../errors';
import { json } from '../format';
import { paint, type Output } from '../output';
import { callerArgument } from './call';
import { secondsInto, timelineOf } from './calls';
import { devTools, TOOL_SIGNING_SECRET_ENV } from './dev';
import { numberArgument } from './numbers';
import { configFromFile } from './simulate';

interface TryOptions extends DataOptions {
  file?: string;
  from: string;
  var: Record<string, string>;
  say: string[];
  dryRun?: boolean;
  json?: boolean;
}

/** `--var name=value`, repeatable: what a number's lookup would fill in. */
function variableArgument(value: string, previous: Record<string, string>): Record<string, string> {
  const match = /^([A-Za-z_][A-Za-z0-9_]{0,63})=(.*)$/s.exec(value);
  if (!match) throw new CliError(`--var "${value}" must be name=value, the name of letters, digits and "_" (as in {{name}})`, EXIT.usage);
  return { ...previous, [match[1]]: match[2] };
}

const collect = (value: string, previous: string[]) => [...previous, value];

/** Where tool calls get their signing secret and `{{secret:NAME}}`: the stack's, `switchboard dev`'s, or the environment. */
async function toolsFor(opts: TryOptions, out: Output, stack: StackOutputs | undefined): Promise<{ runTool: (call: HttpToolCall) => Promise<HttpToolResult>; readSecret: ReadSecret }> {
  const env = devTools(process.env);
  if (stack) {
    if (!stack.toolSigningSecretArn || !stack.toolSecretsPrefix) throw new CliError(`stack ${stack.stackName} has no output for the tool signing secret; redeploy it with this version of Switchboard, or use --dry-run`, EXIT.failure);
    const client = new SecretsManagerClient({});
    const readSecret = toolSecrets(client, stack.toolSecretsPrefix);
    return { runTool: deployedToolRunner({ client, signingSecretArn: stack.toolSigningSecretArn, secretsPrefix: stack.toolSecretsPrefix, log: silentLog, secret: readSecret }), readSecret };
  }
  const local = opts.endpoint ? new LocalSecrets(createDynamoDBClient({ endpoint: opts.endpoint })) : undefined;
  const readSecret: ReadSecret = async (name) => (await env.secret?.(name)) || (await local?.toolSecret(name));
  let signingSecret = env.signingSecret ?? (await local?.signingSecret());
  if (!signingSecret) {
    signingSecret = `whsec_${randomBytes(32).toString('base64')}`;
    out.note(`tools: signed with a signing secret made for this run (set ${TOOL_SIGNING_SECRET_ENV} to choose it): ${signingSecret}`);
  }
  // As `switchboard dev`: a tool may be a server on this machine.
  return { runTool: (call) => runHttpTool(call, { signingSecret: signingSecret!, secret: readSecret, allowLoopback: true }), readSecret };
}

/** The API key: OPENAI_API_KEY, or the stack's own. */
async function apiKey(stack: StackOutputs | undefined): Promise<string> {
  const fromEnv = process.env.OPENAI_API_KEY?.trim();
  if (fromEnv) return fromEnv;
  if (stack?.openAiApiKeySecretArn) {
    const { SecretString } = await new SecretsManagerClient({}).send(new GetSecretValueCommand({ SecretId: stack.openAiApiKeySecretArn }));
    if (SecretString?.trim()) return SecretString.trim();
  }
  throw new CliError('OPENAI_API_KEY is not set: export your OpenAI API key (with --stack, the stack\'s stored key is used instead), or point OPENAI_BASE_URL at an emulator', EXIT.usage);
}

/** Opens a Realtime session of its own for `model`; a refused handshake says why. */
function openSession(baseURL: string, model: string, key: string): Promise<WebSocket> {
  const url = realtimeUrl(baseURL, { model });
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { headers: { Authorization: `Bearer ${key}` } });
    socket.once('open', () => resolve(socket));
    socket.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk));
      res.on('end', () => {
        const message = (JSON.parse(body || '{}') as { error?: { message?: string } }).error?.message;
        const hint = res.statusCode === 401 ? ': check OPENAI_API_KEY' : '';
        reject(new CliError(`OpenAI refused the session (HTTP ${res.statusCode})${message ? `: ${message}` : ''}${hint}`, EXIT.failure));
      });
    });
    socket.once('error', (error) => reject(new CliError(`cannot reach OpenAI at ${url}: ${error.message}`, EXIT.failure)));
  });
}

/** The caller's lines: each --say, else what is typed (or piped), one line each, until the end of input. */
async function* callerLines(opts: TryOptions, out: Output): AsyncGenerator<string> {
  if (opts.say.length > 0) {
    yield* opts.say;
    return;
  }
  const prompt = process.stdin.isTTY;
  if (prompt) out.note('type as the caller; an empty line does nothing, Ctrl-D hangs up');
  const input = createInterface({ input: process.stdin, ...(prompt && { output: process.stderr, prompt: 'caller> ' }) });
  if (prompt) input.prompt();
  for await (const line of input) {
    if (line.trim()) yield line;
    if (prompt) input.prompt();
  }
}

export function registerTryCommand(program: Command, out: Output): void {
  withDataOptions(
    program
      .command('try [number]')
      .description(
        'a text conversation with the number\'s agent on OpenAI (OPENAI_API_KEY, OPENAI_BASE_URL): the session config it would be answered with ' +
          '(a GPT-Live number\'s backend), its tools called for real (or shown with --dry-run); you type as the caller',
      )
      .option('-f, --file <path>', 'try this number config (JSON or YAML) before it is stored; secrets for its tools from --stack, --endpoint or the environment')
      .option('--from <caller>', 'who calls, for {{caller}}: an E.164 number or "anonymous"', callerArgument, DEMO_CALLER)
      .option('--var <name=value>', 'fill {{name}} as a lookup would (repeatable)', variableArgument, {})
      .option('--say <words>', 'the caller says this (repeatable, in order); without it, lines are read from the terminal or stdin', collect, [])
      .option('--dry-run', 'show the request each HTTP tool call would send, and send nothing (MCP servers are left out)')
      .option('--json', 'print the conversation as its call record would hold it'),
  ).action(async (numberArg: string | undefined, opts: TryOptions) => {
    if (!numberArg && !opts.file) throw new CliError('say which number to try: `switchboard try <number> --stack <name>` (or --endpoint), or `--file <config>`', EXIT.usage);
    const stack = opts.stack ? await out.progress(`reading stack ${opts.stack}`, () => readStackOutputs(new CloudFormationClient({}), opts.stack!)) : undefined;
    const config = await readConfig(numberArg, opts, out);
    const on = dayOf(new Date());
    const decision = routeCall({ number: config.number, caller: opts.from }, config, 0, on);
    if (decision.kind === 'reject') throw new CliError(`${config.number} would turn every call away (${decision.reason}): enable it and give it an agent`, EXIT.failure);

    const tools = opts.dryRun ? undefined : await toolsFor(opts, out, stack);
    const baseURL = process.env.OPENAI_BASE_URL?.trim() || 'https://api.openai.com/v1';
    const key = await apiKey(stack);
    let model: TrialModel;
    let answeredOn: string | undefined;
    if (decision.engine === 'live') {
      // GPT-Live takes no typed words: its backend, which holds the business rules and tools, is what is tried.
      const { session } = decision.session;
      model = new LiveBackendTrialModel(new OpenAI({ apiKey: key, baseURL }));
      answeredOn = `${session.delegation?.type === 'responses' ? session.delegation.responses.model : 'no backend'}, the backend ${session.model} hands the caller's requests to`;
    } else {
      model = new RealtimeTrialModel(await openSession(baseURL, decision.session.model ?? '', key), { withoutMcp: opts.dryRun });
      answeredOn = decision.session.model;
    }
    const print = opts.json ? (text: string) => out.note(text) : (text: string) => out.line(text);
    let printed = 0;
    const trial = new TextTrial({
      config,
      caller: opts.from,
      variables: opts.var,
      on,
      model,
      ...(tools && { runTool: tools.runTool, readSecret: tools.readSecret }),
      onChange: (record: CallRecord) => {
        const events = timelineOf(record);
        // The caller's own lines are what was just typed: not echoed at a terminal.
        for (const event of events.slice(printed)) if (!(process.stdin.isTTY && opts.say.length === 0 && event.text.startsWith('caller:'))) print(`  ${secondsInto(record, event.at)}  ${event.text}`);
        printed = events.length;
      },
    });
    out.note(`switchboard try: ${config.number}${config.label ? ` (${config.label})` : ''} on ${answeredOn}, as ${opts.from} calling${opts.dryRun ? '; tools are not run (--dry-run)' : ''}`);
    try {
      await trial.start();
      for await (const words of callerLines(opts, out)) {
        await trial.say(words);
        if (trial.over) break;
      }
    } catch (error) {
      trial.finish();
      if (error instanceof TrialError) throw new CliError(error.message, EXIT.failure);
      throw error;
    }
    const record = trial.finish();
    const ending = `${record.outcome}${record.reason ? ` (${record.reason})` : ''}${record.transferTarget ? ` to ${record.transferTarget}` : ''}`;
    out.note(`  ${paint(out, 'bold', 'conversation ended')}: ${ending}; tokens: ${record.usage.inputTokens} in, ${record.usage.outputTokens} out`);
    if (opts.json) out.line(json(record));
  });
}

async function readConfig(numberArg: string | undefined, opts: TryOptions, out: Output): Promise<NumberConfig> {
  if (opts.file) {
    const config = await configFromFile(out, opts.file);
    if (numberArg && numberArgument(numberArg) !== config.number) throw new CliError(`${opts.file} configures ${config.number}, not ${numberArgument(numberArg)}`, EXIT.usage);
    return config;
  }
  const number = numberArgument(numberArg!);
  const target = await resolveDataTarget(opts);
  const stored = await out.progress(`reading ${number}`, () => target.numbers.get(number));
  if (!stored) throw new CliError(`${number} is not configured in ${target.description} (see \`switchboard numbers list\`)`, EXIT.notFound);
  return stored.config;
}
