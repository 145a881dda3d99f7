import { callControlClient, WEBHOOK_CALL_CONTROL_TIMEOUT_MS } from '../../core/openai/call-control';
import { silentLog } from '../../core/runtime/log';
import { DEFAULT_CALL_RETENTION_DAYS } from '../../core/runtime/contract';
import { CallClaimsStore } from '../../core/store/call-claims-store';
import { createDocumentClient } from '../../core/store/dynamodb-client';
import { NumbersStore } from '../../core/store/numbers-store';
import { LOCAL_TABLE_NAMES } from '../../core/store/tables';
import { staticSecret } from '../../core/webhook/secret-provider';
import { InProcessCallQueue } from '../../local/in-process-queue';
import { startWebhookHost } from '../../local/webhook-host';
import { announceReady, env } from './child';

/** Switchboard's webhook path on the local host, as `switchboard dev` runs it. */
async function main(): Promise<void> {
  const db = createDocumentClient({ endpoint: env('BENCH_DYNAMODB') });
  const host = await startWebhookHost({
    secrets: staticSecret(env('BENCH_WEBHOOK_SECRET')),
    numbers: new NumbersStore(db, LOCAL_TABLE_NAMES.numbers),
    calls: new CallClaimsStore(db, LOCAL_TABLE_NAMES, DEFAULT_CALL_RETENTION_DAYS),
    openai: callControlClient({ apiKey: env('BENCH_API_KEY'), baseURL: env('BENCH_OPENAI'), timeoutMs: WEBHOOK_CALL_CONTROL_TIMEOUT_MS }),
    queue: new InProcessCallQueue(),
    log: silentLog,
    // As `switchboard dev`: a number's lookup may be a server on this machine.
    lookups: { allowLoopback: true },
  });
  await announceReady(host.port);
}

void main();
