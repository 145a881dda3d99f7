import OpenAI from 'openai';
import { OpenAIRealtimeWS } from 'openai/realtime/ws';
import type { QueuedCall } from '../../core/queue/call-queue';
import { demoNumber } from '../../local/simulation';
import { startCallInbox, wallClock } from './bench-control';
import { announceReady, env } from './child';

/**
 * The official path, for comparison: a worker written the way OpenAI's SIP examples are, one
 * `OpenAIRealtimeWS` (the `openai` SDK's sideband client) per call, greeting, logging what is
 * said and transferring on the tool call; it keeps transcripts in memory only, like the
 * examples, so this compares the sideband handling itself with Switchboard's on a no-op store.
 */
async function main(): Promise<void> {
  const stored = new Map<string, number>();
  const config = demoNumber();
  // The SDK always dials wss://, so the bench serves the emulator through TLS on loopback.
  const openai = new OpenAI({ apiKey: env('BENCH_API_KEY'), baseURL: env('BENCH_OPENAI_TLS'), maxRetries: 1 });
  const control = new OpenAI({ apiKey: env('BENCH_API_KEY'), baseURL: env('BENCH_OPENAI'), maxRetries: 1 });
  const transcripts = new Map<string, { role: string; text: string }[]>();

  const hold = (call: QueuedCall) => {
    const rt = new OpenAIRealtimeWS({ callID: call.callId, options: { rejectUnauthorized: false } }, openai);
    const lines: { role: string; text: string }[] = [];
    transcripts.set(call.callId, lines);
    rt.socket.on('open', () => rt.send({ type: 'response.create', response: { instructions: `Say exactly '${config.agent!.greeting}'` } }));
    rt.on('conversation.item.input_audio_transcription.completed', (event) => {
      lines.push({ role: 'caller', text: event.transcript });
      stored.set(event.item_id, wallClock());
    });
    rt.on('response.output_audio_transcript.done', (event) => lines.push({ role: 'agent', text: event.transcript }));
    rt.on('response.function_call_arguments.done', (event) => {
      const target = config.transfers.find((t) => t.name === (JSON.parse(event.arguments) as { target?: string }).target);
      rt.send({ type: 'conversation.item.create', item: { type: 'function_call_output', call_id: event.call_id, output: JSON.stringify({ status: 'transferring' }) } });
      if (target) void control.realtime.calls.refer(call.callId, { target_uri: `tel:${target.target}` }).catch(() => undefined);
    });
    rt.on('error', () => undefined);
    rt.socket.on('close', () => transcripts.delete(call.callId));
  };
  // Warm the HTTP client (first-request set-up) as a worker's first call would.
  await control.realtime.calls.hangup('rtc_warm_up').catch(() => undefined);
  const inbox = await startCallInbox((calls) => calls.forEach(hold), { stored });
  await announceReady(inbox);
}

void main();
