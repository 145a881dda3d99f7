import type { Command } from 'commander';
import { jsonLog, logLevelFrom } from '../../core/runtime/log';
import { checkWebhookSecretFormat } from '../../core/webhook/signature';
import { startDevStack } from '../../local/dev-stack';
import { CliError, EXIT } from '../errors';
import type { Output } from '../output';

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new CliError(`port must be a number from 0 to 65535, got "${value}"`, EXIT.usage);
  return n;
}

export function registerDevCommand(program: Command, out: Output): void {
  program
    .command('dev')
    .description('run Switchboard locally: webhook server, call worker, embedded DynamoDB (reads OPENAI_API_KEY, OPENAI_WEBHOOK_SECRET, OPENAI_BASE_URL)')
    .option('--port <port>', 'webhook server port', port, 8787)
    .option('--data-dir <dir>', 'where the embedded DynamoDB keeps its data', '.switchboard')
    .option('--dynamodb-port <port>', 'embedded DynamoDB port', port, 8000)
    .action(async (opts: { port: number; dataDir: string; dynamodbPort: number }) => {
      const missing = ['OPENAI_API_KEY', 'OPENAI_WEBHOOK_SECRET'].filter((name) => !process.env[name]);
      if (missing.length > 0) {
        throw new CliError(
          `${missing.join(' and ')} ${missing.length > 1 ? 'are' : 'is'} not set: export your OpenAI API key and the project's webhook signing secret (whsec_...), ` +
            'or run `switchboard simulate` to try everything against the built-in OpenAI emulator',
          EXIT.usage,
        );
      }
      // Checked now, not on the first call: a malformed secret would fail every webhook with a 500.
      try {
        checkWebhookSecretFormat(process.env.OPENAI_WEBHOOK_SECRET!);
      } catch (err) {
        throw new CliError(`OPENAI_WEBHOOK_SECRET: ${(err as Error).message}`, EXIT.usage);
      }
      const stack = await startDevStack({
        port: opts.port,
        dynamodbPort: opts.dynamodbPort,
        dataDir: opts.dataDir,
        openai: { apiKey: process.env.OPENAI_API_KEY!, baseURL: process.env.OPENAI_BASE_URL || undefined },
        webhookSecret: process.env.OPENAI_WEBHOOK_SECRET!,
        log: jsonLog('switchboard-dev', { level: logLevelFrom(process.env.LOG_LEVEL) }),
        worker: {},
      }).catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'EADDRINUSE') {
          throw new CliError(`port ${(err as { port?: number }).port ?? ''} is already in use: stop what holds it or pass --port / --dynamodb-port`, EXIT.failure);
        }
        throw err;
      });
      out.note(`switchboard dev: webhook ${stack.webhookUrl}, DynamoDB ${stack.dynamodb.endpoint}, data in ${opts.dataDir}`);
      out.note(`configure a number: npx switchboard numbers put <number> --file <config.json> --endpoint ${stack.dynamodb.endpoint}`);
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      out.note('switchboard dev: stopping');
      await stack.close();
    });
}
