import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLog } from '../../core/runtime/log';
import type { WebhookSummary } from '../../core/webhook/handle-webhook';
import { startDevStack, type DevStack, type DevStackOptions } from '../../local/dev-stack';
import { freeLoopbackPort } from '../../local/ports';
import { startOpenAIEmulator, type OpenAIEmulator, type EmulatorOptions } from '../../local/openai-emulator';

export const API_KEY = 'sk-test-switchboard';
export const WEBHOOK_SECRET = 'whsec_' + Buffer.from('switchboard-test-signing-key-0123456789').toString('base64');

export interface LocalStack {
  stack: DevStack;
  emulator: OpenAIEmulator;
  /** Every webhook delivery the local host answered, in order. */
  webhooks: WebhookSummary[];
  dataDir: string;
  close(): Promise<void>;
}

/** A free loopback port, so the emulator can be told the webhook URL before the stack starts. */
export const freePort = freeLoopbackPort;

/** The local host, dynalite (on disk, in a temp dir) and the OpenAI emulator, wired as in `switchboard dev`. */
export async function startLocalStack(opts: { emulator?: Partial<EmulatorOptions>; stack?: Partial<DevStackOptions> } = {}): Promise<LocalStack> {
  const dataDir = await mkdtemp(join(tmpdir(), 'switchboard-test-'));
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const emulator = await startOpenAIEmulator({
      apiKey: API_KEY,
      webhook: { url: `http://127.0.0.1:${port}/webhook`, secret: WEBHOOK_SECRET },
      retrySchedule: [100, 200, 400, 800],
      ...opts.emulator,
    });
    const webhooks: WebhookSummary[] = [];
    let stack: DevStack;
    try {
      stack = await startDevStack({
        port,
        dataDir,
        openai: { apiKey: API_KEY, baseURL: emulator.baseURL, timeoutMs: 1000 },
        webhookSecret: WEBHOOK_SECRET,
        log: silentLog,
        onWebhook: (summary) => webhooks.push(summary),
        ...opts.stack,
      });
    } catch (err) {
      await emulator.close();
      // The port was free when asked for, and another process (a parallel test) took it before the stack listened: ask again.
      if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE' && attempt < 5) continue;
      await rm(dataDir, { recursive: true, force: true });
      throw err;
    }
    return {
      stack,
      emulator,
      webhooks,
      dataDir,
      close: async () => {
        await emulator.close();
        await stack.close();
        await rm(dataDir, { recursive: true, force: true });
      },
    };
  }
}

/** Polls until `check` returns a value (not undefined/false) or the time runs out. */
export async function eventually<T>(check: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}
