import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import OpenAI from 'openai';
import type { CallAcceptParams } from 'openai/resources/realtime/calls';
import WebSocket from 'ws';
import { announceReady, env } from './child';

/**
 * The floor of time to greeting: one process that, on the webhook, verifies it, accepts the call,
 * answers 200, opens the call's sideband and sends the greeting, inline, with the bare `openai`
 * SDK and `ws`, as OpenAI's SIP examples do: no store, no queue. It sends the same accept body
 * and greeting as Switchboard (`BENCH_ACCEPT`, `BENCH_GREETING`), built once by the bench.
 */
async function main(): Promise<void> {
  const apiKey = env('BENCH_API_KEY');
  const secret = env('BENCH_WEBHOOK_SECRET');
  const openai = new OpenAI({ apiKey, baseURL: env('BENCH_OPENAI'), timeout: 2500, maxRetries: 0 });
  const accept = JSON.parse(env('BENCH_ACCEPT')) as CallAcceptParams;
  const greeting = env('BENCH_GREETING');
  const realtime = `${env('BENCH_OPENAI').replace(/^http/, 'ws')}/realtime?call_id=`;
  const server = createServer(async (req, res) => {
    let body = '';
    for await (const chunk of req) body += chunk;
    let callId: string;
    try {
      const event = await openai.webhooks.unwrap(body, req.headers as Record<string, string>, secret);
      if (event.type !== 'realtime.call.incoming') return void res.writeHead(200).end();
      callId = event.data.call_id;
      await openai.realtime.calls.accept(callId, accept);
    } catch {
      return void res.writeHead(500).end();
    }
    res.writeHead(200).end();
    const ws = new WebSocket(realtime + encodeURIComponent(callId), { headers: { Authorization: `Bearer ${apiKey}` } });
    ws.on('open', () => ws.send(greeting));
    ws.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  // Warm the HTTP client (first-request set-up), as a serving process's would be.
  await openai.realtime.calls.hangup('rtc_warm_up').catch(() => undefined);
  await announceReady((server.address() as AddressInfo).port);
}

void main();
