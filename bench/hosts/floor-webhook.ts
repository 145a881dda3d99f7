import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import OpenAI from 'openai';
import { createDocumentClient } from '../../core/store/dynamodb-client';
import { LOCAL_TABLE_NAMES } from '../../core/store/tables';
import { announceReady, env } from './child';

/**
 * The floor: the same I/O as the webhook path (record write, config read, accept, enqueue),
 * made directly with the SDK clients behind a bare HTTP server, with nothing around it.
 */
async function main(): Promise<void> {
  const db = createDocumentClient({ endpoint: env('BENCH_DYNAMODB') });
  const openai = new OpenAI({ apiKey: env('BENCH_API_KEY'), baseURL: env('BENCH_OPENAI'), timeout: 2500, maxRetries: 1 });
  const queue: unknown[] = [];
  const server = createServer(async (req, res) => {
    let body = '';
    for await (const chunk of req) body += chunk;
    const event = JSON.parse(body) as { data: { call_id: string; sip_headers: { name: string; value: string }[] } };
    const callId = event.data.call_id;
    const number = `+${event.data.sip_headers.find((h) => h.name === 'x-number')!.value}`;
    await db.send(new PutCommand({ TableName: LOCAL_TABLE_NAMES.calls, Item: { callId, number, startedAt: new Date().toISOString(), outcome: 'active' }, ConditionExpression: 'attribute_not_exists(callId)' }));
    const { Item } = await db.send(new GetCommand({ TableName: LOCAL_TABLE_NAMES.numbers, Key: { number } }));
    const agent = Item!.config.agent;
    await openai.realtime.calls.accept(callId, { type: 'realtime', model: agent.model, instructions: agent.instructions, audio: { output: { voice: agent.voice } } });
    queue.push({ callId, number, config: Item!.config });
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"result":"accepted"}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  await announceReady((server.address() as AddressInfo).port);
}

void main();
