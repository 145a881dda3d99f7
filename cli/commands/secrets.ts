import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import {
  CreateSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceExistsException,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import type { Command } from 'commander';
import { createDynamoDBClient } from '../../core/store/dynamodb-client';
import { isStorableSecretName } from '../../core/tools/secret-headers';
import { standardWebhooksSecret } from '../../core/webhook/secret-provider';
import { lookupSigningSecret } from '../../core/webhook/lookup';
import { checkWebhookSecretFormat } from '../../core/webhook/signature';
import { LocalSecrets } from '../../local/dynamodb';
import { readStackOutputs, type StackOutputs } from '../deployed-stack';
import { CliError, EXIT } from '../errors';
import type { Output } from '../output';
import { checkSecretShape, readSecret, SECRET_NAMES, type SecretName } from '../secret-input';
import { TOOL_SIGNING_SECRET_ENV, toolSecretEnvName } from './dev';

const TOOL_SIGNING_SECRET = 'tool-signing-secret';
const LOOKUP_SIGNING_SECRET = 'lookup-signing-secret';
const READABLE = [TOOL_SIGNING_SECRET, LOOKUP_SIGNING_SECRET];
const TOOL_SECRET_PREFIX = 'tool:';

/** What `secrets set <name>` stores. */
type Target =
  | { kind: 'openai'; name: SecretName }
  | { kind: 'tool-signing-secret' }
  | { kind: 'tool'; name: string };

interface WhereOptions {
  stack?: string;
  endpoint?: string;
}

export function registerSecretCommands(program: Command, out: Output): void {
  const secrets = program
    .command('secrets')
    .description("store the deployed stack's secrets (OpenAI API key, webhook signing secret, tool signing secret, tool secrets) or a local one's (--endpoint)");
  secrets
    .command('set <name>')
    .description(
      `store openai-api-key, webhook-secret, ${TOOL_SIGNING_SECRET} or tool:NAME (the value of {{secret:NAME}} in a tool's headers); ` +
        'reads a hidden prompt, or stdin when piped; never prints it',
    )
    .option('--stack <name>', 'the deployed Switchboard stack (name or stage)')
    .option('--endpoint <url>', `the DynamoDB of \`switchboard dev\` (e.g. http://127.0.0.1:8000): ${TOOL_SIGNING_SECRET} and tool:NAME only`)
    .action(async (name: string, opts: WhereOptions) => {
      const target = parseTarget(name);
      const where = whereFrom(opts);
      if (where.kind === 'endpoint') {
        if (target.kind === 'openai') {
          throw new CliError(`\`switchboard dev\` reads the ${SECRET_NAMES[target.name].label} from ${target.name === 'openai-api-key' ? 'OPENAI_API_KEY' : 'OPENAI_WEBHOOK_SECRET'}; --endpoint stores only ${TOOL_SIGNING_SECRET} and tool:NAME`, EXIT.usage);
        }
        const value = await readValue(target);
        const local = new LocalSecrets(createDynamoDBClient({ endpoint: where.endpoint }));
        await out.progress(`storing it at ${where.endpoint}`, async () => {
          await local.ensureTable();
          await (target.kind === 'tool' ? local.setToolSecret(target.name, value) : local.setSigningSecret(value));
        });
        if (target.kind === 'tool') {
          out.line(`stored tool secret "${target.name}" at ${where.endpoint}`);
          out.note(`\`switchboard dev\` uses it from the next tool call; ${toolSecretEnvName(target.name)} wins over it when set`);
        } else {
          out.line(`stored the tool signing secret at ${where.endpoint}`);
          out.note(`\`switchboard dev\` signs the next tool call with it; ${TOOL_SIGNING_SECRET_ENV} wins over it when set`);
        }
        return;
      }

      const stack = await out.progress(`reading stack ${where.stack}`, () => readStackOutputs(new CloudFormationClient({}), where.stack));
      if (target.kind === 'openai') return setOpenAiSecret(out, stack, target.name);
      const client = new SecretsManagerClient({});
      if (target.kind === 'tool-signing-secret') {
        const arn = required(stack, stack.toolSigningSecretArn, 'tool signing secret');
        const value = await readValue(target);
        await out.progress('storing the tool signing secret', () => client.send(new PutSecretValueCommand({ SecretId: arn, SecretString: value })));
        out.line(`stored the tool signing secret in ${arn}`);
        out.note('the workers sign with it within 5 minutes, no restart needed: configure your endpoints to verify with it');
        return;
      }
      const prefix = required(stack, stack.toolSecretsPrefix, 'tool secrets');
      const value = await readValue(target);
      const arn = await out.progress(`storing tool secret "${target.name}"`, () => putOrCreate(client, `${prefix}${target.name}`, value, `Switchboard tool secret {{secret:${target.name}}}, read by the call workers of ${stack.stackName}`));
      out.line(`stored tool secret "${target.name}" in ${arn}`);
      out.note('the workers use it from the next tool call (a changed value within 5 minutes); no restart needed');
    });

  secrets
    .command(`get <name>`)
    .description(
      `print the ${TOOL_SIGNING_SECRET} or the ${LOOKUP_SIGNING_SECRET} (whsec_...), for your endpoints to verify tool calls and lookups with; the other secrets cannot be read back`,
    )
    .option('--stack <name>', 'the deployed Switchboard stack (name or stage)')
    .option('--endpoint <url>', 'the DynamoDB of `switchboard dev` (e.g. http://127.0.0.1:8000)')
    .action(async (name: string, opts: WhereOptions) => {
      if (!READABLE.includes(name)) {
        throw new CliError(`only the ${READABLE.join(' and the ')} can be printed ("${name}" is write-only here: read it where you got it, or store it again with \`switchboard secrets set\`)`, EXIT.usage);
      }
      const lookup = name === LOOKUP_SIGNING_SECRET;
      const where = whereFrom(opts);
      if (where.kind === 'endpoint') {
        const local = new LocalSecrets(createDynamoDBClient({ endpoint: where.endpoint }));
        const stored = await (lookup ? local.lookupSigningSecret() : local.signingSecret());
        if (!stored) {
          throw new CliError(
            lookup
              ? `no lookup signing secret is stored at ${where.endpoint}: \`switchboard dev\` writes it at its start, from its webhook secret; start it first`
              : `no tool signing secret is stored at ${where.endpoint}: \`switchboard dev\` generates one at its first start, or store yours with \`switchboard secrets set ${TOOL_SIGNING_SECRET} --endpoint ${where.endpoint}\``,
            EXIT.notFound,
          );
        }
        out.line(stored);
        out.note(
          lookup
            ? 'derived from the webhook secret of the `switchboard dev` that wrote it: a new OPENAI_WEBHOOK_SECRET, or every start with --emulator, makes a new one'
            : `(\`switchboard dev\` signs with ${TOOL_SIGNING_SECRET_ENV} instead when it is set)`,
        );
        return;
      }
      const stack = await out.progress(`reading stack ${where.stack}`, () => readStackOutputs(new CloudFormationClient({}), where.stack));
      const client = new SecretsManagerClient({});
      if (lookup) {
        // The webhook signs lookups with a secret derived from OpenAI's webhook secret (core/webhook/lookup.ts).
        const arn = stack[SECRET_NAMES['webhook-secret'].output];
        if (!arn) throw new CliError(`stack ${stack.stackName} has no output for the webhook signing secret; redeploy it with this version of Switchboard`, EXIT.failure);
        const { SecretString } = await out.progress('reading the webhook signing secret', () => client.send(new GetSecretValueCommand({ SecretId: arn })));
        if (!SecretString) throw new CliError(`the webhook signing secret ${arn} has no value: store OpenAI's with \`switchboard secrets set webhook-secret --stack ${stack.stackName}\``, EXIT.notFound);
        try {
          out.line(lookupSigningSecret(SecretString));
        } catch (error) {
          throw new CliError(`the webhook signing secret in ${arn} is not usable: ${(error as Error).message}`, EXIT.failure);
        }
        out.note('derived from the webhook signing secret: storing a new one from OpenAI makes a new lookup signing secret');
        return;
      }
      const arn = required(stack, stack.toolSigningSecretArn, 'tool signing secret');
      const { SecretString } = await out.progress('reading the tool signing secret', () => client.send(new GetSecretValueCommand({ SecretId: arn })));
      if (!SecretString) throw new CliError(`the tool signing secret ${arn} has no value: store one with \`switchboard secrets set ${TOOL_SIGNING_SECRET} --stack ${stack.stackName}\``, EXIT.notFound);
      out.line(standardWebhooksSecret(SecretString));
    });
}

function parseTarget(name: string): Target {
  if (name in SECRET_NAMES) return { kind: 'openai', name: name as SecretName };
  if (name === TOOL_SIGNING_SECRET) return { kind: 'tool-signing-secret' };
  if (name.startsWith(TOOL_SECRET_PREFIX)) return { kind: 'tool', name: checkToolSecretName(name.slice(TOOL_SECRET_PREFIX.length)) };
  throw new CliError(`unknown secret "${name}": use one of ${[...Object.keys(SECRET_NAMES), TOOL_SIGNING_SECRET].join(', ')} or tool:NAME (e.g. tool:orders-api)`, EXIT.usage);
}

export function checkToolSecretName(name: string): string {
  if (!isStorableSecretName(name)) {
    throw new CliError(
      `tool secret name "${name}" cannot be used: a tool header names it as {{secret:NAME}}, and NAME may hold letters, digits and - _ . / + = @ (at most 256), e.g. tool:orders-api`,
      EXIT.usage,
    );
  }
  return name;
}

function whereFrom(opts: WhereOptions): { kind: 'stack'; stack: string } | { kind: 'endpoint'; endpoint: string } {
  if (opts.stack && opts.endpoint) throw new CliError('pass --stack or --endpoint, not both', EXIT.usage);
  if (opts.stack) return { kind: 'stack', stack: opts.stack };
  if (opts.endpoint) {
    const url = URL.canParse(opts.endpoint) ? new URL(opts.endpoint) : undefined;
    if (url?.protocol !== 'http:' && url?.protocol !== 'https:') {
      throw new CliError(`--endpoint "${opts.endpoint}" is not a URL: expected http://<host>:<port>, e.g. http://127.0.0.1:8000 while \`switchboard dev\` runs`, EXIT.usage);
    }
    return { kind: 'endpoint', endpoint: opts.endpoint };
  }
  throw new CliError('say where to store it: --stack <name> for a deployed stack, or --endpoint <url> for `switchboard dev` (e.g. http://127.0.0.1:8000)', EXIT.usage);
}

/** Reads the value (hidden prompt or stdin) and refuses one of the wrong shape, without repeating it. */
async function readValue(target: Exclude<Target, { kind: 'openai' }>): Promise<string> {
  const label = target.kind === 'tool' ? `tool secret "${target.name}"` : 'tool signing secret';
  const value = await readSecret(`Paste the ${label}`);
  if (!value) throw new CliError(`no ${label} given; nothing was stored`, EXIT.usage);
  if (target.kind === 'tool') {
    // It is sent in an HTTP header, which cannot carry a line break.
    if (/[\u0000-\u0008\u000a-\u001f\u007f]/.test(value)) {
      throw new CliError(`the ${label} holds a line break or another control character, which no HTTP header may carry; nothing was stored`, EXIT.usage);
    }
    return value;
  }
  checkToolSigningSecret(value);
  return value;
}

/** A Standard Webhooks secret: `whsec_` + base64 of 24 to 64 bytes, as the specification asks. */
function checkToolSigningSecret(value: string): void {
  let bytes = 0;
  try {
    checkWebhookSecretFormat(value);
    bytes = Buffer.from(value.slice('whsec_'.length), 'base64').length;
  } catch {
    bytes = -1;
  }
  if (bytes < 24 || bytes > 64) {
    throw new CliError('that is not a Standard Webhooks signing secret: expected "whsec_" followed by the base64 of 24 to 64 random bytes; nothing was stored', EXIT.usage);
  }
}

async function setOpenAiSecret(out: Output, stack: StackOutputs, name: SecretName): Promise<void> {
  const secret = SECRET_NAMES[name];
  const arn = stack[secret.output];
  if (!arn) throw new CliError(`stack ${stack.stackName} has no output for the ${secret.label}; redeploy it with this version of Switchboard`, EXIT.failure);
  const value = await readSecret(`Paste the ${secret.label}`);
  if (!value) throw new CliError(`no ${secret.label} given; nothing was stored`, EXIT.usage);
  checkSecretShape(name, value);
  await out.progress(`storing the ${secret.label}`, () => new SecretsManagerClient({}).send(new PutSecretValueCommand({ SecretId: arn, SecretString: value })));
  out.line(`stored the ${secret.label} in ${arn}`);
  out.note(
    name === 'webhook-secret'
      ? 'the webhook picks it up on the next signature check; no restart needed'
      : 'the webhook and the workers pick it up within 5 minutes; no restart needed',
  );
}


function required(stack: StackOutputs, value: string | undefined, what: string): string {
  if (!value) throw new CliError(`stack ${stack.stackName} has no output for the ${what}; redeploy it with this version of Switchboard (npx cdk deploy --all)`, EXIT.failure);
  return value;
}

/** Updates the secret, or creates it on first use; returns its ARN. */
async function putOrCreate(client: SecretsManagerClient, name: string, value: string, description: string): Promise<string> {
  const put = async () => (await client.send(new PutSecretValueCommand({ SecretId: name, SecretString: value }))).ARN ?? name;
  try {
    return await put();
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
  }
  try {
    return (await client.send(new CreateSecretCommand({ Name: name, SecretString: value, Description: description }))).ARN ?? name;
  } catch (error) {
    // Created meanwhile by another `secrets set`: store this value over it.
    if (error instanceof ResourceExistsException) return put();
    throw error;
  }
}
