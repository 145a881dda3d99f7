import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CallRecord } from '../core/calls/record';
import { parseNumberConfig, type NumberConfig } from '../core/numbers/config';
import type { Log } from '../core/runtime/log';
import type { WebhookSummary } from '../core/webhook/handle-webhook';
import { startDevStack } from './dev-stack';
import { freeLoopbackPort } from './ports';
import { SCRIPTS, startOpenAIEmulator, type ScriptName } from './openai-emulator';

export const SCENARIOS = Object.keys(SCRIPTS) as ScriptName[];

/** The demo number: the documented example config. */
export function demoNumber(): NumberConfig {
  return parseNumberConfig(JSON.parse(readFileSync(join(__dirname, '../examples/support-line.json'), 'utf8')));
}

export const DEMO_CALLER = '+14067704205';

export interface SimulationOptions {
  scenario: ScriptName;
  /** `realistic` plays at a phone conversation's pace; `fast` for tests. */
  pace: 'realistic' | 'fast';
  log: Log;
  onConfigured?: (config: NumberConfig) => void;
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
  const apiKey = `sk-simulate-${randomBytes(12).toString('hex')}`;
  const webhookSecret = `whsec_${randomBytes(32).toString('base64')}`;
  const port = await freeLoopbackPort();
  const emulator = await startOpenAIEmulator({
    apiKey,
    webhook: { url: `http://127.0.0.1:${port}/webhook`, secret: webhookSecret },
    retrySchedule: [500, 1000, 2000],
    timing: opts.pace,
  });
  const stack = await startDevStack({
    port,
    dynamodbPort: 0,
    openai: { apiKey, baseURL: emulator.baseURL },
    webhookSecret,
    log: opts.log,
    onWebhook: opts.onWebhook,
    worker: { timings: opts.pace === 'fast' ? { transferTimeoutMs: 2000, hangupTimeoutMs: 2000, closeGraceMs: 500 } : {} },
  });
  try {
    const config = demoNumber();
    await stack.numbers.put(config);
    opts.onConfigured?.(config);
    const { callId } = await emulator.placeCall({ dialed: config.number, caller: DEMO_CALLER, script: SCRIPTS[opts.scenario] });
    let seen = '';
    for (;;) {
      const record = await stack.calls.get(callId);
      if (record) {
        const snapshot = JSON.stringify(record);
        if (snapshot !== seen) {
          seen = snapshot;
          opts.onProgress?.(record);
        }
        if (record.outcome !== 'active' && record.outcome !== 'pending') return record;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } finally {
    await emulator.close();
    await stack.close();
  }
}
