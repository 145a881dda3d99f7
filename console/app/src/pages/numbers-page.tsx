import { Link } from 'wouter-preact';
import { api, type NumbersAnswer } from '../api';
import { shortTime } from '../../../../cli/format';
import { Columns, Empty, Failure, useLoad } from '../parts';

export function NumbersPage() {
  const numbers = useLoad(() => api<NumbersAnswer>('/numbers'), []);
  return (
    <section>
      <div class="heading">
        <h1>Numbers</h1>
        <Link href="/numbers/new" role="button">
          Add a number
        </Link>
      </div>
      {numbers.error && <Failure error={numbers.error} />}
      {!numbers.value && !numbers.error && <p aria-busy="true">Reading numbers…</p>}
      {numbers.value && numbers.value.numbers.length === 0 && (
        <Empty title="No numbers yet">
          <p>
            A number answers calls once it has a config. <Link href="/numbers/new">Add a number</Link> here, or from a file:{' '}
            <code>npx switchboard numbers put &lt;number&gt; --file &lt;config.json&gt;</code> (examples/ has two).
          </p>
        </Empty>
      )}
      {numbers.value && numbers.value.numbers.length > 0 && (
        <div class="table-scroll">
          <table class="striped numbers">
            <Columns names={['Number', 'Label', 'Engine', 'Status', 'Calls today', 'Version', 'Updated (UTC)']} />
            <tbody>
              {numbers.value.numbers.map((n) => (
                <tr key={n.number}>
                  <td>
                    <Link href={`/numbers/${encodeURIComponent(n.number)}`}>{n.number}</Link>
                  </td>
                  <td>{n.label ?? ''}</td>
                  <td>{n.engine === 'live' ? 'GPT-Live' : n.engine === 'realtime' ? 'Realtime' : '(no agent)'}</td>
                  <td>
                    <span class={n.enabled ? 'outcome outcome-completed' : 'outcome outcome-missed'}>{n.enabled ? 'enabled' : 'disabled'}</span>
                  </td>
                  <td>
                    <Link href={`/calls?number=${encodeURIComponent(n.number)}`}>{n.callsToday}</Link>
                  </td>
                  <td>{n.version}</td>
                  <td>{shortTime(n.updatedAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
