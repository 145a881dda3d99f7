import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NumberConfig } from '../core/numbers/config';
import { createDocumentClient, createDynamoDBClient } from '../core/store/dynamodb-client';
import { NumbersStore } from '../core/store/numbers-store';
import { LOCAL_TABLE_NAMES } from '../core/store/tables';
import { ensureTables, type LocalDynamoDB } from '../local/dynamodb';
import { freeLoopbackPort } from '../local/ports';

export type Dynalite = LocalDynamoDB & { cpuMicros(): number };

/** A dynalite process with Switchboard's tables, empty but for one configured number. */
export async function startDynaliteWithNumber(config: NumberConfig): Promise<Dynalite> {
  const dynamodb = await startDynaliteProcess();
  await ensureTables(createDynamoDBClient({ endpoint: dynamodb.endpoint }), LOCAL_TABLE_NAMES);
  await new NumbersStore(createDocumentClient({ endpoint: dynamodb.endpoint }), LOCAL_TABLE_NAMES.numbers).put(config);
  return dynamodb;
}

/**
 * dynalite in its own process, so that in the benchmarks the store neither competes with the
 * emulator for one event loop nor hides in the numbers of the process being measured.
 */
async function startDynaliteProcess(): Promise<Dynalite> {
  const port = await freeLoopbackPort();
  // dynalite stands in for a DynamoDB on other machines: its garbage collections stay on its own
  // thread rather than taking V8's helper threads onto the cores the worker and emulator run on.
  const child = spawn(process.execPath, ['--single-threaded-gc', join(__dirname, '../node_modules/dynalite/cli.js'), '--port', String(port), '--host', '127.0.0.1', '--createTableMs', '0'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d) => String(d).includes('listening') && resolve());
    child.once('exit', (code) => reject(new Error(`dynalite exited with ${code}`)));
  });
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    // utime + stime from /proc (Linux), in clock ticks of 10 ms.
    cpuMicros: () => {
      const fields = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1].split(' ');
      return (Number(fields[11]) + Number(fields[12])) * 10_000;
    },
    close: async () => {
      child.kill();
      await new Promise((resolve) => child.once('exit', resolve));
    },
  };
}
