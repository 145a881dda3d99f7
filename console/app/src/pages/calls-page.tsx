import { Link, useLocation, useSearch } from 'wouter-preact';
import { OUTCOMES } from '../../../../core/calls/record';
import { api, type CallsPageAnswer } from '../api';
import { duration, shortTime, totalCostText } from '../../../../cli/format';
import { Columns, Empty, Failure, useLoad } from '../parts';
import { OutcomeBadge } from './outcome';

const FILTERS = ['number', 'outcome', 'engine', 'since', 'until'] as const;

/** Calls, newest first, a page at a time; the filters live in the address, so a view can be shared. */
export function CallsPage() {
  const search = useSearch();
  const [, navigate] = useLocation();
  const query = new URLSearchParams(search);
  const filtered = FILTERS.some((f) => query.get(f));
  // The newest page follows new calls and live ones; an older page stays as it was read.
  const calls = useLoad(() => api<CallsPageAnswer>(`/calls?${query}`), [search], { everyMs: 3000, while: () => !query.get('cursor') });

  const apply = (event: Event) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    const next = new URLSearchParams();
    for (const name of FILTERS) {
      const value = String(form.get(name) ?? '').trim();
      if (value) next.set(name, value);
    }
    navigate(`/calls${next.size ? `?${next}` : ''}`);
  };
  const older = (cursor: string) => {
    const next = new URLSearchParams(query);
    next.set('cursor', cursor);
    return `/calls?${next}`;
  };
  const newest = () => {
    const next = new URLSearchParams(query);
    next.delete('cursor');
    return `/calls${next.size ? `?${next}` : ''}`;
  };

  return (
    <section>
      <h1>Calls</h1>
      <form class="filters" onSubmit={apply} key={search} aria-label="Filter calls">
        <label>
          Number
          <input name="number" inputMode="tel" placeholder="+17134810111" value={query.get('number') ?? ''} />
        </label>
        <label>
          Outcome
          <select name="outcome" value={query.get('outcome') ?? ''}>
            <option value="">any</option>
            {OUTCOMES.filter((o) => o !== 'pending').map((o) => (
              <option value={o}>{o === 'active' ? 'live now' : o}</option>
            ))}
          </select>
        </label>
        <label>
          Engine
          <select name="engine" value={query.get('engine') ?? ''}>
            <option value="">any</option>
            <option value="realtime">Realtime</option>
            <option value="live">GPT-Live</option>
          </select>
        </label>
        <label>
          From (UTC)
          <input name="since" type="datetime-local" value={query.get('since') ?? ''} />
        </label>
        <label>
          To (UTC)
          <input name="until" type="datetime-local" value={query.get('until') ?? ''} />
        </label>
        <div class="filter-actions">
          <button type="submit">Filter</button>
          {filtered && (
            <Link href="/calls" class="secondary">
              Clear
            </Link>
          )}
        </div>
      </form>
      {calls.error && <Failure error={calls.error} />}
      {calls.value?.notice && <p class="notice">{calls.value.notice}</p>}
      {!calls.value && !calls.error && <p aria-busy="true">Reading calls…</p>}
      {calls.value && calls.value.calls.length === 0 && (
        filtered || query.get('cursor') ? (
          <Empty title="No calls match">
            <p>
              No call matches these filters. <Link href="/calls">Show all calls</Link>
            </p>
          </Empty>
        ) : (
          <Empty title="No calls yet">
            <p>
              Calls appear here as they are answered. Configure a number on the <Link href="/numbers">Numbers</Link> page, then call it. Locally, with{' '}
              <code>npx switchboard dev --emulator</code> running: <code>npx switchboard call &lt;number&gt;</code>.
            </p>
          </Empty>
        )
      )}
      {calls.value && calls.value.calls.length > 0 && (
        <>
          <div class="table-scroll">
            <table class="striped calls">
              <Columns names={['Started (UTC)', 'Number', 'Caller', 'Duration', 'Outcome', 'Reason', 'Engine', 'Cost']} />
              <tbody>
                {calls.value.calls.map((c) => (
                  <tr key={c.callId} data-call-id={c.callId} class={c.outcome === 'active' ? 'live' : undefined}>
                    <td>
                      <Link href={`/calls/${encodeURIComponent(c.callId)}`} aria-label={`call from ${c.caller} at ${shortTime(c.startedAt)}`}>
                        {shortTime(c.startedAt)}
                      </Link>
                    </td>
                    <td>
                      {c.number}
                      {c.label && <small class="label"> {c.label}</small>}
                    </td>
                    <td>{c.caller}</td>
                    <td>{duration(c.durationSeconds)}</td>
                    <td>
                      <OutcomeBadge outcome={c.outcome} />
                    </td>
                    <td>{c.reason ?? (c.transferTarget ? `to ${c.transferTarget}` : '')}</td>
                    <td>{c.engine === 'live' ? 'GPT-Live' : 'Realtime'}</td>
                    <td>{totalCostText(c.cost)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <nav class="pager" aria-label="Pages of calls">
            {query.get('cursor') && <Link href={newest()}>← Newest calls</Link>}
            {calls.value.cursor && <Link href={older(calls.value.cursor)}>Older calls →</Link>}
          </nav>
        </>
      )}
    </section>
  );
}
