import { randomUUID } from 'node:crypto';
import type { CallAction, Outcome, TokenUsage, TranscriptEntry } from '../../core/calls/record';
import { actionItem, transcriptItem, usageItem } from '../../core/store/call-entries-store';
import { DEFAULT_CALL_RETENTION_DAYS } from '../../core/runtime/contract';
import { CallClaimsStore } from '../../core/store/call-claims-store';
import { createDocumentClient } from '../../core/store/dynamodb-client';
import { LiveCallStore, type CallEnding } from '../../core/store/live-call-store';
import type { TableNames } from '../../core/store/tables';

/** A call as the CLI shows it; `seedCall` stores it the way Switchboard would have. */
export interface PastCall {
  callId: string;
  number: string;
  caller: string;
  startedAt: string;
  outcome: Exclude<Outcome, 'pending'>;
  label?: string;
  reason?: string;
  rejectStatus?: number;
  transferTarget?: string;
  endedAt?: string;
  durationSeconds?: number;
  transcript?: TranscriptEntry[];
  actions?: CallAction[];
  usage?: TokenUsage;
}

/**
 * Writes call history through the store classes the webhook and the call worker use, so CLI
 * tests depend on what a call is, not on how the tables lay it out.
 */
export function callHistory(endpoint: string, tables: Pick<TableNames, 'calls' | 'entries'>) {
  const db = createDocumentClient({ endpoint });
  const calls = new CallClaimsStore(db, tables, DEFAULT_CALL_RETENTION_DAYS);
  const live = new LiveCallStore(db, tables);

  /** What the worker writes as a live call goes on: transcript lines, actions, token usage. */
  async function entries(callId: string, { transcript = [], actions = [], usage }: Pick<PastCall, 'transcript' | 'actions' | 'usage'>): Promise<void> {
    const items = [
      ...transcript.map((entry) => transcriptItem(callId, entry, undefined)),
      ...actions.map((action, seq) => actionItem(callId, action, seq, undefined)),
      ...(usage ? [usageItem(callId, `resp_${callId}`, usage, undefined)] : []),
    ];
    if (items.length === 0) return;
    const left = await live.writeEntries(items);
    if (left.length > 0) throw new Error(`the local DynamoDB left ${left.length} entries of ${callId} unwritten`);
  }

  /** How the worker closes a live call. */
  async function end(callId: string, ending: CallEnding): Promise<void> {
    if (!(await live.finish(callId, ending))) throw new Error(`${callId} is not live, so it cannot end`);
  }

  /** The webhook's record (rejected, missed, or answered), then what the worker wrote and how it ended. */
  async function add(call: PastCall): Promise<void> {
    const { callId, number, caller, startedAt, label, outcome, reason, rejectStatus, endedAt, durationSeconds } = call;
    const claimToken = randomUUID();
    await calls.create({
      callId, number, caller, startedAt, label, webhookId: `wh_${callId}`, claimToken, claimUntil: Date.now() + 20_000,
      ...(outcome === 'rejected' ? { outcome, reason, rejectStatus } : { outcome: 'active', liveNumber: number }),
    });
    if (outcome === 'rejected') return calls.recordAnswer(callId, claimToken, { outcome, reason, rejectStatus, answered: true });
    // The caller hung up before the accept: the webhook records the ending and no worker runs.
    if (outcome === 'missed') return calls.recordAnswer(callId, claimToken, { outcome, reason, endedAt, answered: true });
    await calls.recordAnswer(callId, claimToken, { outcome: 'active', liveNumber: number, answered: true, queued: true });
    await entries(callId, call);
    if (outcome === 'active') return;
    if (endedAt === undefined || durationSeconds === undefined) throw new Error(`${callId} ended (${outcome}): give its endedAt and durationSeconds`);
    await end(callId, { outcome, reason, transferTarget: call.transferTarget, endedAt, durationSeconds });
  }

  return { add, entries, end };
}
