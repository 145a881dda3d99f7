export { startOpenAIEmulator, type AnnouncedWebhook, type EmulatorOptions, type OpenAIEmulator, type PlaceCallOptions, type PlacedCall } from './server';
export { signWebhook, OPENAI_RETRY_SCHEDULE_MS } from './webhook-sender';
export { buildIncomingCallEvent, buildLiveIncomingEvent, sipHeadersFor, type IncomingCallEvent, type LiveIncomingEvent, type LiveIncomingEventType } from './incoming-call';
export { SCRIPTS, TIMING, type ConversationScript, type ScriptName, type ScriptStep, type Timing } from './scripts';
export type { CallState, CallStatus, Surface, WebhookAttempt } from './calls';
export type { ReceivedRequest } from './control-request';
export type { Fault, ResponsesFault, Verb } from './faults';
export type { ResponsesRequest } from './responses';
