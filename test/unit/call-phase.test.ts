import { endingOf, next, type Effect, type Phase, type PhaseEvent } from '../../core/worker/call-phase';
import { MAX_QUICK_DROPS } from '../../core/worker/ending';
import { readSessionEvent } from '../../core/worker/server-events';

const live: Phase = { kind: 'live' };
const transferring: Phase = { kind: 'transferring', target: 'sales', uri: 'tel:+17135550100' };
const goodbye: Phase = { kind: 'saying-goodbye', reason: 'agent-hung-up', responseDone: false };
const goodbyeWithResponse: Phase = { ...goodbye, responseId: 'resp_1' };
const goodbyePlayed: Phase = { ...goodbyeWithResponse, responseDone: true };
const hangingUp: Phase = { kind: 'hanging-up', reason: 'agent-hung-up' };
const callerGone: Phase = { kind: 'leaving', ending: { outcome: 'completed', reason: 'caller-hung-up' } };
const draining: Phase = { kind: 'handing-back', why: 'drain' };
const finished: Phase = { kind: 'finished' };
const closed = (code = 1006, quickDrops = 0): PhaseEvent => ({ type: 'socket-closed', code, reason: '', quickDrops });

describe("a held call's phase", () => {
  it.each<[string, Phase, PhaseEvent, Phase, Effect[]]>([
    ['a transfer refers and starts the watchdog', live, { type: 'transfer', target: 'sales', uri: 'tel:+17135550100' }, transferring, [
      { do: 'start-timer', timer: 'transfer-watchdog' },
      { do: 'refer', uri: 'tel:+17135550100' },
    ]],
    ['a 404 to the refer: the caller left', transferring, { type: 'refer-gone' }, callerGone, [{ do: 'cancel-timer', timer: 'transfer-watchdog' }]],
    ['a refused refer: back to live, the model is told', transferring, { type: 'transfer-failed', reason: 'refer-failed-500' }, live, [
      { do: 'cancel-timer', timer: 'transfer-watchdog' },
      { do: 'record', action: 'transfer-failed', details: { target: 'sales', reason: 'refer-failed-500' } },
      { do: 'tell-model', note: expect.stringContaining('The transfer to sales did not go through') },
    ]],
    ['a transfer failure after the call left changes nothing', callerGone, { type: 'transfer-failed', reason: 'call-did-not-leave' }, callerGone, []],
    ['end_call starts the goodbye', live, { type: 'end-call' }, goodbye, [{ do: 'start-timer', timer: 'goodbye' }]],
    ['time up: the wrap-up is said', live, { type: 'time-up', maxCallSeconds: 60 }, { kind: 'saying-goodbye', reason: 'max-duration', responseDone: false }, [
      { do: 'record', action: 'time-limit', details: { maxCallSeconds: 60 } },
      { do: 'say-wrap-up' },
      { do: 'start-timer', timer: 'goodbye' },
    ]],
    ['time up while transferring: the transfer goes on', transferring, { type: 'time-up', maxCallSeconds: 60 }, transferring, []],
    ['time up while saying goodbye: one goodbye', goodbye, { type: 'time-up', maxCallSeconds: 60 }, goodbye, []],
    ['the first response after the goodbye began is the goodbye', goodbye, { type: 'response-created', responseId: 'resp_1' }, goodbyeWithResponse, []],
    ['a later response is not', goodbyeWithResponse, { type: 'response-created', responseId: 'resp_2' }, goodbyeWithResponse, []],
    ['the goodbye generated: its audio gets the full time again', goodbyeWithResponse, { type: 'response-done', responseId: 'resp_1' }, goodbyePlayed, [
      { do: 'cancel-timer', timer: 'goodbye' },
      { do: 'start-timer', timer: 'goodbye' },
    ]],
    ['another response done changes nothing', goodbyeWithResponse, { type: 'response-done', responseId: 'resp_0' }, goodbyeWithResponse, []],
    ['audio stopped before the goodbye was generated: wait', goodbyeWithResponse, { type: 'audio-stopped' }, goodbyeWithResponse, []],
    ['the goodbye played: hang up', goodbyePlayed, { type: 'audio-stopped' }, hangingUp, [
      { do: 'cancel-timer', timer: 'goodbye' },
      { do: 'record', action: 'hangup', details: { reason: 'agent-hung-up' } },
      { do: 'hangup' },
    ]],
    ['the goodbye never reported its end: hang up anyway', goodbye, { type: 'goodbye-timeout' }, hangingUp, [
      { do: 'cancel-timer', timer: 'goodbye' },
      { do: 'record', action: 'hangup', details: { reason: 'agent-hung-up' } },
      { do: 'hangup' },
    ]],
    ['hangup answered: wait for OpenAI to close, a grace at most', hangingUp, { type: 'hangup-answered' }, { kind: 'leaving', ending: { outcome: 'completed', reason: 'agent-hung-up' } }, [
      { do: 'start-timer', timer: 'close-grace' },
    ]],
    ['a 404 to the hangup: the caller went first', hangingUp, { type: 'hangup-gone' }, callerGone, [{ do: 'start-timer', timer: 'close-grace' }]],
    ['a failed hangup: the call goes on', hangingUp, { type: 'hangup-failed', status: 500 }, live, [{ do: 'record', action: 'hangup-failed', details: { status: 500 } }]],
    ['a drain lets go of a live call', live, { type: 'hand-back', why: 'drain' }, draining, [{ do: 'let-go' }]],
    ['a drain lets go mid-transfer too', transferring, { type: 'hand-back', why: 'lease-lost' }, { kind: 'handing-back', why: 'lease-lost' }, [{ do: 'let-go' }]],
    ['a second hand-back changes nothing', draining, { type: 'hand-back', why: 'lease-lost' }, draining, []],
    ['the socket closes after a hand-back', draining, closed(1000), draining, [{ do: 'handed-back' }]],
    ['nothing moves a finished call', finished, { type: 'hand-back', why: 'drain' }, finished, []],
    ['the socket closes after the refer: transferred', transferring, closed(), finished, [
      { do: 'finish', ending: { outcome: 'transferred', transferTarget: 'tel:+17135550100' }, hangUp: false },
    ]],
    ['the socket closes while hanging up: ended by the agent', hangingUp, closed(1000), finished, [
      { do: 'finish', ending: { outcome: 'completed', reason: 'agent-hung-up' }, hangUp: false },
    ]],
    ['a live call\'s socket drops: re-attach', live, closed(1006), live, [{ do: 'reattach', delayMs: 0, afterCloseCode: 1006 }]],
    ['it keeps dropping at once: give up and hang up', goodbye, closed(1006, MAX_QUICK_DROPS), finished, [
      { do: 'finish', ending: { outcome: 'failed', reason: 'sideband-keeps-closing' }, hangUp: true },
    ]],
    ['over for a reason outside the socket', live, { type: 'over', ending: { outcome: 'completed', reason: 'session-limit' } }, finished, [
      { do: 'finish', ending: { outcome: 'completed', reason: 'session-limit' }, hangUp: false },
    ]],
  ])('%s', (_, phase, event, nextPhase, effects) => {
    expect(next(phase, event)).toEqual({ phase: nextPhase, effects });
  });

  it.each<[Phase, ReturnType<typeof endingOf>]>([
    [live, undefined],
    [goodbye, undefined],
    [transferring, { outcome: 'transferred', transferTarget: 'tel:+17135550100' }],
    [hangingUp, { outcome: 'completed', reason: 'agent-hung-up' }],
    [callerGone, { outcome: 'completed', reason: 'caller-hung-up' }],
  ])('%o ends as %o when its socket closes', (phase, ending) => {
    expect(endingOf(phase)).toEqual(ending);
  });
});

describe('reading the sideband', () => {
  it.each<[string, string, ReturnType<typeof readSessionEvent>]>([
    ['a delta, skipped unparsed', '{"type":"response.output_audio.delta","delta":"AAAA"}', undefined],
    ['a delta after event_id', '{"event_id":"ev_1","type":"response.output_audio_transcript.delta","delta":"Hi"}', undefined],
    ['the caller\'s words', '{"type":"conversation.item.input_audio_transcription.completed","item_id":"it_1","transcript":"Hello"}', { type: 'caller-said', itemId: 'it_1', transcript: 'Hello' }],
    ['a function call', '{"event_id":"ev_2","type":"response.function_call_arguments.done","call_id":"call_1","name":"end_call","arguments":"{}"}', {
      type: 'function-call', toolCallId: 'call_1', name: 'end_call', arguments: '{}',
    }],
    ['usage', '{"type":"response.done","response":{"id":"resp_1","usage":{"input_tokens":3,"output_tokens":4,"total_tokens":7}}}', {
      type: 'response-done', responseId: 'resp_1', usage: { inputTokens: 3, outputTokens: 4, totalTokens: 7 },
    }],
    ['type not first: parsed, then read', '{"item_id":"it_2","type":"input_audio_buffer.speech_started"}', { type: 'speech-started', itemId: 'it_2' }],
    ['a type named like an object property', '{"type":"constructor"}', undefined],
    ['not JSON', '{"type":"error",', 'not-json'],
    ['JSON null', 'null', undefined],
  ])('%s', (_, text, event) => {
    expect(readSessionEvent(text)).toEqual(event);
  });
});
