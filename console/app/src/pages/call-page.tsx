import { Link } from 'wouter-preact';
import { callTimeline, type CallAction, type CallRecord } from '../../../../core/calls/record';
import { costText, duration, otherEngineOffersText, shortTime } from '../../../../cli/format';
import { api } from '../api';
import { Columns, Failure, useLoad } from '../parts';
import { OutcomeBadge } from './outcome';

const isLive = (record: CallRecord) => record.outcome === 'active' || record.outcome === 'pending';

/** One call: who said what, what the agent did, how it ended, what it cost; while it is live, its lines arrive as they are stored. */
export function CallPage({ callId }: { callId: string }) {
  const call = useLoad(() => api<CallRecord>(`/calls/${encodeURIComponent(callId)}`), [callId], { everyMs: 2000, while: isLive });
  if (call.error && !call.value) return <Failure error={call.error} />;
  if (!call.value) return <p aria-busy="true">Reading the call…</p>;
  const record = call.value;
  return (
    <section>
      <p>
        <Link href="/calls">← Calls</Link>
      </p>
      <hgroup>
        <h1>
          {record.caller} → {record.number}
          {record.label && <small class="label"> {record.label}</small>}
        </h1>
        <p>
          {record.callId} · answered by {record.engine === 'live' ? 'GPT-Live' : 'Realtime'}
          {record.model && ` (${record.model})`}
          {record.otherEngineOffers && `; ${otherEngineOffersText(record.otherEngineOffers)}`}
        </p>
      </hgroup>
      {call.error && <Failure error={call.error} />}
      <dl class="facts">
        <dt>Started</dt>
        <dd>{shortTime(record.startedAt)} UTC</dd>
        {record.endedAt && (
          <>
            <dt>Ended</dt>
            <dd>
              {shortTime(record.endedAt)} UTC{record.durationSeconds !== undefined && ` (${duration(record.durationSeconds)})`}
            </dd>
          </>
        )}
        <dt>Outcome</dt>
        <dd class="ending">
          <OutcomeBadge outcome={record.outcome} />
          {record.reason && ` ${record.reason}`}
          {record.rejectStatus && `, SIP ${record.rejectStatus}`}
          {record.transferTarget && `, to ${record.transferTarget}`}
        </dd>
        {record.lookup && (
          <>
            <dt>Lookup</dt>
            <dd>
              {record.lookup.status} in {record.lookup.durationMs} ms
              {record.lookup.status === 'failed' && `: ${record.lookup.error}; answered with the stored config`}
              {record.lookup.status === 'rejected' && ` (SIP ${record.lookup.rejectStatus})`}
            </dd>
          </>
        )}
        {record.cost && (
          <>
            <dt>Cost</dt>
            <dd>{costText(record.cost)}</dd>
          </>
        )}
        {record.usage.totalTokens > 0 && (
          <>
            <dt>Tokens</dt>
            <dd>
              {record.usage.inputTokens} in, {record.usage.outputTokens} out, {record.usage.totalTokens} total
            </dd>
          </>
        )}
      </dl>
      <button type="button" class="secondary" onClick={() => download(record)}>
        Export JSON
      </button>
      <h2>Timeline{isLive(record) && <span class="live-note"> (live: lines appear as they are said)</span>}</h2>
      <Timeline record={record} />
      {record.analysis && <Analysis analysis={record.analysis} />}
      {record.deliveries && record.deliveries.length > 0 && (
        <>
          <h2>Deliveries</h2>
          <div class="table-scroll">
            <table class="deliveries">
              <Columns names={['Event', 'Attempt', 'At (UTC)', 'Outcome', 'Took', 'Next attempt']} />
              <tbody>
                {record.deliveries.map((a) => (
                  <tr>
                    <td>{a.event}</td>
                    <td>
                      #{a.attempt}
                      {a.redelivery && ' (redelivery)'}
                    </td>
                    <td>{shortTime(a.at)}</td>
                    <td>
                      {a.outcome}
                      {a.status !== undefined && ` (HTTP ${a.status})`}
                      {a.outcome !== 'delivered' && a.error && `: ${a.error}`}
                    </td>
                    <td>{a.durationMs} ms</td>
                    <td>{a.retryAt ? shortTime(a.retryAt) : ''}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
    </section>
  );
}

/** The record as `calls show --json` prints it, as a file. */
function download(record: CallRecord) {
  const url = URL.createObjectURL(new Blob([JSON.stringify(record, null, 2)], { type: 'application/json' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = `${record.callId}.json`;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

function Timeline({ record }: { record: CallRecord }) {
  const events = callTimeline(record);
  if (events.length === 0) return <p class="muted">Nothing was said or done on this call{isLive(record) ? ' yet' : ''}.</p>;
  const offset = (at: string) => `+${((Date.parse(at) - Date.parse(record.startedAt)) / 1000).toFixed(1)}s`;
  return (
    <ol class="timeline">
      {events.map((e) => (
        <li class={'line' in e ? `line ${e.line.role}` : `action action-${e.action.type}`} key={'line' in e ? e.line.id : `${e.at}${e.action.type}`}>
          <time dateTime={e.at} title={`${shortTime(e.at)} UTC`}>
            {offset(e.at)}
          </time>
          {'line' in e ? (
            <p>
              <strong>{e.line.role === 'caller' ? 'Caller' : 'Agent'}</strong> {e.line.text}
            </p>
          ) : (
            <ActionItem action={e.action} details={e.details} record={record} />
          )}
        </li>
      ))}
    </ol>
  );
}

/** Whether a transfer went through: the call ended transferred to its target, or a `transfer-failed` names the target after it. */
function transferFate(action: CallAction, record: CallRecord): string {
  const failed = record.actions.find((a) => a.type === 'transfer-failed' && a.at >= action.at && a.target === action.target);
  if (failed) return `did not go through (${String(failed.reason ?? 'no reason')})`;
  // The record names the transfer's SIP URI; the action names the target and its URI.
  if (record.outcome === 'transferred' && (record.transferTarget === action.uri || record.transferTarget === action.target)) return 'went through';
  return isLive(record) ? 'in progress' : 'did not go through';
}

function ActionItem({ action, details, record }: { action: CallAction; details: Record<string, unknown>; record: CallRecord }) {
  const entries = Object.entries(details);
  return (
    <div>
      <span class="action-type">{action.type}</span>
      {action.type === 'transfer' && <span class="fate"> {transferFate(action, record)}</span>}
      {entries.length > 0 && (
        <dl class="details">
          {entries.map(([name, value]) => (
            <>
              <dt>{name}</dt>
              <dd>{typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? String(value) : <pre>{JSON.stringify(value, null, 2)}</pre>}</dd>
            </>
          ))}
        </dl>
      )}
    </div>
  );
}

function Analysis({ analysis }: { analysis: NonNullable<CallRecord['analysis']> }) {
  if (analysis.status !== 'done') {
    return (
      <>
        <h2>Analysis</h2>
        <p>
          {analysis.status === 'retrying' ? `To be tried again (attempt ${analysis.attempts} failed)` : `Failed after ${analysis.attempts} attempt${analysis.attempts === 1 ? '' : 's'}`}: {analysis.error}
        </p>
      </>
    );
  }
  return (
    <>
      <h2>Summary</h2>
      {analysis.summary !== undefined && <p class="summary">{analysis.summary}</p>}
      {analysis.fields && (
        <dl class="facts">
          {Object.entries(analysis.fields).map(([name, value]) => (
            <>
              <dt>{name}</dt>
              <dd>{typeof value === 'string' ? value : JSON.stringify(value)}</dd>
            </>
          ))}
        </dl>
      )}
    </>
  );
}
