import { liveClosedEnding, readLiveEvent } from '../../core/worker/live-events';

const read = (event: unknown) => readLiveEvent(JSON.stringify(event));

describe('what a Live sideband says', () => {
  it('reads transcript fragments of both sides, on the session timeline', () => {
    expect(read({ type: 'session.input_transcript.delta', delta: 'Hel', start_ms: 1200, end_ms: 1400, event_id: 'e1' })).toEqual({ type: 'said', role: 'caller', delta: 'Hel', startMs: 1200, endMs: 1400 });
    expect(read({ type: 'session.output_transcript.delta', delta: 'Hi', start_ms: 2000, end_ms: 2100, event_id: 'e2' })).toMatchObject({ type: 'said', role: 'agent' });
  });
  it('reads function calls only from the nested output_item.done, and the nested completion with its usage', () => {
    expect(read({ type: 'response.event', delegation_id: 'd1', event: { type: 'response.output_item.done', item: { type: 'function_call', call_id: 'c1', name: 'lookup_order', arguments: '{}' } } })).toEqual({
      type: 'function-call', delegationId: 'd1', toolCallId: 'c1', name: 'lookup_order', arguments: '{}',
    });
    expect(read({ type: 'response.event', delegation_id: 'd1', event: { type: 'response.output_item.added', item: { type: 'function_call', call_id: 'c1', name: 'x' } } })).toEqual({ type: 'other' });
    // All text, so the backend is priced at its model's text rates; cache writes only when reported.
    const textOnly = { inputAudioTokens: 0, cachedAudioTokens: 0, outputAudioTokens: 0 };
    expect(read({ type: 'response.event', delegation_id: 'd1', event: { type: 'response.completed', response: { id: 'resp_1', output: [], usage: { input_tokens: 10, output_tokens: 2, total_tokens: 12 } } } })).toEqual({
      type: 'backend-done', delegationId: 'd1', responseId: 'resp_1',
      usage: { inputTokens: 10, outputTokens: 2, totalTokens: 12, inputTextTokens: 10, cachedTextTokens: 0, outputTextTokens: 2, ...textOnly },
    });
    const usage = { input_tokens: 300, input_tokens_details: { cached_tokens: 200, cache_write_tokens: 50 }, output_tokens: 40, output_tokens_details: { reasoning_tokens: 30 }, total_tokens: 340 };
    expect(read({ type: 'response.event', delegation_id: 'd1', event: { type: 'response.completed', response: { id: 'resp_2', output: [], usage } } })).toMatchObject({
      usage: { inputTokens: 300, inputTextTokens: 300, cachedTextTokens: 200, cacheWriteTextTokens: 50, outputTokens: 40, outputTextTokens: 40, ...textOnly },
    });
  });
  it('skips a delegation\'s deltas without parsing them, and reads a frame laid out otherwise', () => {
    const frame = (nested: string, rest = '') => `{"event_id":"event_1","type":"response.event","delegation_id":"d1","event":{"type":"${nested}"${rest}}}`;
    expect(readLiveEvent(frame('response.output_text.delta', ',"delta":"Hi"'))).toEqual({ type: 'other' });
    // A delta cut off mid-frame is still only skipped: it is never parsed.
    expect(readLiveEvent(frame('response.function_call_arguments.delta').slice(0, 90))).toEqual({ type: 'other' });
    expect(readLiveEvent(frame('response.output_item.done', ',"item":{"type":"function_call","call_id":"c1","name":"x","arguments":"{}"}'))).toMatchObject({ type: 'function-call', toolCallId: 'c1' });
    expect(readLiveEvent('{"event_id":"e","type":"session.output_audio.delta","delta":"AAAA"}')).toEqual({ type: 'other' });
    expect(read({ delegation_id: 'd1', event: { item: { type: 'function_call', call_id: 'c2', name: 'x', arguments: '{}' }, type: 'response.output_item.done' }, type: 'response.event' })).toMatchObject({ type: 'function-call', toolCallId: 'c2' });
  });

  it('reads SIP call progress, a failure with its code', () => {
    expect(read({ type: 'transport.ringing', session_id: 'live_1', event_id: 'e' })).toEqual({ type: 'progress', stage: 'ringing' });
    expect(read({ type: 'transport.answered', session_id: 'live_1', event_id: 'e' })).toEqual({ type: 'progress', stage: 'answered' });
    expect(read({ type: 'transport.failed', session_id: 'live_1', event_id: 'e', error: { type: 'call_error', code: 'busy_here', message: 'Busy Here' } })).toEqual({
      type: 'progress', stage: 'failed', code: 'busy_here', message: 'Busy Here',
    });
  });

  it('reads DTMF, cumulative usage, the close and errors', () => {
    expect(read({ type: 'transport.dtmf.received', event: '5', event_id: 'e' })).toEqual({ type: 'dtmf', key: '5' });
    expect(read({ type: 'session.usage.updated', usage: { seconds: 12.5 }, event_id: 'e' })).toEqual({ type: 'usage', seconds: 12.5 });
    expect(read({ type: 'session.closed', reason: 'remote_hangup', usage: { seconds: 30 }, event_id: 'e' })).toEqual({ type: 'closed', reason: 'remote_hangup', seconds: 30 });
    expect(read({ type: 'error', error: { code: 'tool_outputs_pending', message: 'wait' }, event_id: 'e' })).toEqual({ type: 'error', code: 'tool_outputs_pending', message: 'wait' });
    expect(readLiveEvent('not json')).toEqual({ type: 'other' });
  });
  it('ends the record by the close reason when the worker did not end the call itself', () => {
    expect(liveClosedEnding('remote_hangup')).toEqual({ outcome: 'completed', reason: 'caller-hung-up' });
    expect(liveClosedEnding('expired')).toEqual({ outcome: 'completed', reason: 'session-limit' });
    expect(liveClosedEnding('content')).toEqual({ outcome: 'failed', reason: 'content-filter' });
    expect(liveClosedEnding('connection_lost')).toEqual({ outcome: 'failed', reason: 'session-closed: connection_lost' });
  });
});
