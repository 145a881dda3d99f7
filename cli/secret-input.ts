import { CliError, EXIT } from './errors';

export const SECRET_NAMES = {
  'openai-api-key': { label: 'OpenAI API key', output: 'openAiApiKeySecretArn' },
  'webhook-secret': { label: 'webhook signing secret', output: 'webhookSecretArn' },
} as const;

export type SecretName = keyof typeof SECRET_NAMES;

/** Refuses values that cannot be what was asked for; never repeats the value in the message. */
export function checkSecretShape(name: SecretName, value: string): void {
  if (name === 'webhook-secret') {
    const match = /^whsec_([A-Za-z0-9+/]+={0,2})$/.exec(value);
    if (!match || Buffer.from(match[1], 'base64').length < 16) {
      throw new CliError(
        'that does not look like an OpenAI webhook signing secret: expected "whsec_" followed by base64, exactly as OpenAI showed it when the webhook was created; nothing was stored',
        EXIT.usage,
      );
    }
    return;
  }
  if (!/^sk-[A-Za-z0-9_-]{20,}$/.test(value)) {
    throw new CliError('that does not look like an OpenAI API key (expected "sk-..." with no spaces); nothing was stored', EXIT.usage);
  }
}

/** Reads a secret: from a prompt that does not echo on a terminal, otherwise all of stdin. */
export async function readSecret(prompt: string, stdin: NodeJS.ReadStream = process.stdin, stderr: NodeJS.WriteStream = process.stderr): Promise<string> {
  if (!stdin.isTTY) {
    const chunks: Buffer[] = [];
    for await (const chunk of stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8').trim();
  }
  stderr.write(`${prompt} (input hidden): `);
  stdin.setRawMode(true);
  stdin.resume();
  try {
    return await new Promise<string>((resolve, reject) => {
      let value = '';
      const onData = (data: Buffer) => {
        for (const char of data.toString('utf8')) {
          if (char === '\r' || char === '\n') {
            stdin.off('data', onData);
            return resolve(value.trim());
          }
          if (char === '\u0003') {
            stdin.off('data', onData);
            return reject(new CliError('cancelled; nothing was stored', EXIT.failure));
          }
          value = char === '\u007f' ? value.slice(0, -1) : value + char;
        }
      };
      stdin.on('data', onData);
    });
  } finally {
    stdin.setRawMode(false);
    stdin.pause();
    stderr.write('\n');
  }
}
