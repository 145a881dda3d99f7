import { useEffect, useRef } from 'preact/hooks';
import { api, type Overview } from '../api';
import { duration, usd } from '../../../../cli/format';
import { Columns, Empty, Failure, useLoad } from '../parts';

export function OverviewPage() {
  const overview = useLoad(() => api<Overview>('/overview'), []);
  if (overview.error) return <Failure error={overview.error} />;
  if (!overview.value) return <p aria-busy="true">Reading the last 30 days of calls…</p>;
  const o = overview.value;
  const total = o.days.reduce((sum, d) => sum + d.calls, 0);
  return (
    <section>
      <h1>Overview</h1>
      <p class="muted">The last 30 days (UTC), from the call records.</p>
      {total === 0 ? (
        <Empty title="No calls in the last 30 days">
          <p>Once numbers answer calls, this page shows them per day, how long they lasted, why calls were turned away and what they cost.</p>
        </Empty>
      ) : (
        <>
          <div class="cards">
            <article>
              <header>Calls</header>
              <p class="figure">{total}</p>
            </article>
            <article>
              <header>Duration</header>
              <p class="figure">{o.durations.p50 !== undefined ? duration(o.durations.p50) : '–'}</p>
              <small>
                median; p90 {o.durations.p90 !== undefined ? duration(o.durations.p90) : '–'}, longest {o.durations.max !== undefined ? duration(o.durations.max) : '–'}
              </small>
            </article>
            <article>
              <header>Webhook decision</header>
              <p class="figure">{o.decisionMs.p50 !== undefined ? `${o.decisionMs.p50} ms` : '–'}</p>
              <small>p50; p99 {o.decisionMs.p99 !== undefined ? `${o.decisionMs.p99} ms` : '–'} over {o.decisionMs.count} calls</small>
            </article>
            <article>
              <header>This month ({o.month.month})</header>
              <p class="figure">{usd(o.month.totalUsd)}</p>
              <small>
                {o.month.budgetUsd !== undefined ? `${Math.round((o.month.budgetShare ?? 0) * 100)}% of the ${usd(o.month.budgetUsd)} budget` : 'no monthly budget set'}
                {o.month.unpriced > 0 && `; ${o.month.unpriced} unpriced call${o.month.unpriced === 1 ? '' : 's'} not in it`}
              </small>
            </article>
          </div>
          <h2>Calls per day by outcome</h2>
          <DayChart overview={o} />
          <h2>Turned away</h2>
          {o.rejects.length === 0 ? (
            <p class="muted">No call was turned away.</p>
          ) : (
            <table class="rejects">
              <Columns names={['Reason', 'Calls']} />
              <tbody>
                {o.rejects.map((r) => (
                  <tr>
                    <td>{r.reason}</td>
                    <td>{r.count}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <h2>Cost per day</h2>
          <details>
            <summary>The figures per day</summary>
            <table class="days">
              <Columns names={['Day', 'Calls', 'Cost', 'Unpriced']} />
              <tbody>
                {o.days
                  .filter((d) => d.calls > 0)
                  .map((d) => (
                    <tr>
                      <td>{d.day}</td>
                      <td>{d.calls}</td>
                      <td>{usd(d.costUsd)}</td>
                      <td>{d.unpriced}</td>
                    </tr>
                  ))}
              </tbody>
            </table>
          </details>
        </>
      )}
    </section>
  );
}

/** The chart library is loaded with this page only. */
function DayChart({ overview }: { overview: Overview }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    let destroy: (() => void) | undefined;
    void import('../day-chart').then(({ drawDayChart }) => {
      if (canvas.current) destroy = drawDayChart(canvas.current, overview);
    });
    return () => destroy?.();
  }, [overview]);
  return (
    <div class="chart">
      <canvas ref={canvas} role="img" aria-label="Calls per day by outcome, with the cost per day; the figures are in the table below" />
    </div>
  );
}
