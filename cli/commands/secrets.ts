import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Command } from 'commander';
import { readStackOutputs } from '../deployed-stack';
import { CliError, EXIT } from '../errors';
import type { Output } from '../output';
import { checkSecretShape, readSecret, SECRET_NAMES, type SecretName } from '../secret-input';

export function registerSecretCommands(program: Command, out: Output): void {
  const secrets = program.command('secrets').description("store the deployed stack's secrets (OpenAI API key, webhook signing secret)");
  secrets
    .command('set <name>')
    .description('store openai-api-key or webhook-secret; reads a hidden prompt, or stdin when piped; never prints it')
    .requiredOption('--stack <name>', 'the deployed Switchboard stack (name or stage)')
    .action(async (name: string, opts: { stack: string }) => {
      if (!(name in SECRET_NAMES)) throw new CliError(`unknown secret "${name}": use one of ${Object.keys(SECRET_NAMES).join(', ')}`, EXIT.usage);
      const secret = SECRET_NAMES[name as SecretName];
      const stack = await out.progress(`reading stack ${opts.stack}`, () => readStackOutputs(new CloudFormationClient({}), opts.stack));
      const arn = stack[secret.output];
      if (!arn) throw new CliError(`stack ${stack.stackName} has no output for the ${secret.label}; redeploy it with this version of Switchboard`, EXIT.failure);
      const value = await readSecret(`Paste the ${secret.label}`);
      if (!value) throw new CliError(`no ${secret.label} given; nothing was stored`, EXIT.usage);
      checkSecretShape(name as SecretName, value);
      await out.progress(`storing the ${secret.label}`, () => new SecretsManagerClient({}).send(new PutSecretValueCommand({ SecretId: arn, SecretString: value })));
      out.line(`stored the ${secret.label} in ${arn}`);
      out.note(
        name === 'webhook-secret'
          ? 'the webhook picks it up on the next signature check; no restart needed'
          : 'the webhook and the workers pick it up within 5 minutes; no restart needed',
      );
    });
}
