import { useEffect, useRef, useState } from 'preact/hooks';
import { Link, useLocation } from 'wouter-preact';
import { api, ApiFailure, type ConfigCheckAnswer, type NumberVersionsAnswer, type PlacedProblem, type StoredNumberAnswer } from '../api';
import { shortTime } from '../../../../cli/format';
import { Columns, Failure, useLoad } from '../parts';
import type { ConfigEditor } from '../editor';

/** What a new number starts from: a Realtime agent with the fields most configs set. */
const NEW_CONFIG = `{
  "label": "Support line",
  "enabled": true,
  "agent": {
    "model": "gpt-realtime-2.1",
    "voice": "cedar",
    "instructions": "You are a friendly support agent. The caller's number is {{caller}}.",
    "greeting": "Thanks for calling, how can I help?"
  },
  "transfers": [],
  "endCall": { "enabled": true }
}
`;

type Saved = { version: number; updatedAt?: string; enabled?: boolean };

/**
 * A number's config in an editor that checks it as it is typed (the checks of `numbers validate`,
 * each problem on its line), saves only on the version it read, and enables or disables the number.
 */
export function NumberPage({ number }: { number?: string }) {
  const [, navigate] = useLocation();
  const [loaded, setLoaded] = useState<StoredNumberAnswer | Error>();
  const [saved, setSaved] = useState<Saved>({ version: 0 });
  const [newNumber, setNewNumber] = useState('');
  const [check, setCheck] = useState<ConfigCheckAnswer>();
  const [status, setStatus] = useState<{ kind: 'ok' | 'error' | 'conflict'; text: string }>();
  const [conflict, setConflict] = useState<StoredNumberAnswer | null>();
  const editorHost = useRef<HTMLDivElement>(null);
  const editor = useRef<ConfigEditor>();
  const target = number ?? newNumber;

  useEffect(() => {
    if (!number) return setLoaded(undefined);
    api<StoredNumberAnswer>(`/numbers/${encodeURIComponent(number)}`).then(
      (view) => {
        setLoaded(view);
        setSaved({ version: view.version, updatedAt: view.updatedAt, enabled: view.config.enabled });
      },
      setLoaded,
    );
  }, [number]);

  const text = loaded instanceof Error ? undefined : number ? loaded?.text : NEW_CONFIG;
  const targetRef = useRef(target);
  targetRef.current = target;

  // The editor is loaded with the page that needs it: the calls page never downloads it.
  useEffect(() => {
    if (text === undefined || !editorHost.current) return;
    let cancelled = false;
    void import('../editor').then(({ createConfigEditor }) => {
      if (cancelled || !editorHost.current) return;
      editor.current = createConfigEditor(editorHost.current, text, async (current) => {
        const to = targetRef.current;
        if (!to) return [];
        const result = await api<ConfigCheckAnswer>(`/numbers/${encodeURIComponent(to)}/check`, { method: 'POST', body: { text: current } });
        setCheck(result);
        return [...result.problems.map((p) => ({ ...p, severity: 'error' as const })), ...result.warnings.map((p) => ({ ...p, severity: 'warning' as const }))];
      });
    });
    return () => {
      cancelled = true;
      editor.current?.destroy();
      editor.current = undefined;
    };
  }, [text]);

  if (loaded instanceof Error) return <Failure error={loaded} />;
  if (number && !loaded) return <p aria-busy="true">Reading {number}…</p>;

  const fail = (err: Error) => {
    if (err instanceof ApiFailure && err.status === 409) {
      setConflict((err.body.current as StoredNumberAnswer | null) ?? null);
      setStatus({ kind: 'conflict', text: err.message });
    } else if (err instanceof ApiFailure && err.status === 422) {
      setCheck({ valid: false, problems: (err.body.problems as PlacedProblem[]) ?? [], warnings: [] });
      setStatus({ kind: 'error', text: err.message });
    } else setStatus({ kind: 'error', text: err.message });
  };

  const save = async () => {
    if (!target || !editor.current) return setStatus({ kind: 'error', text: 'say which number this config is for' });
    setStatus(undefined);
    try {
      const stored = await api<StoredNumberAnswer>(`/numbers/${encodeURIComponent(target)}`, { method: 'PUT', body: { text: editor.current.text(), version: saved.version } });
      setSaved({ version: stored.version, updatedAt: stored.updatedAt, enabled: stored.config.enabled });
      setConflict(undefined);
      setStatus({ kind: 'ok', text: `Saved ${stored.number}, version ${stored.version}.` });
      if (!number) navigate(`/numbers/${encodeURIComponent(stored.number)}`, { replace: true });
    } catch (err) {
      fail(err as Error);
    }
  };

  const toggle = async () => {
    if (!number) return;
    setStatus(undefined);
    try {
      const stored = await api<StoredNumberAnswer>(`/numbers/${encodeURIComponent(number)}/enabled`, { method: 'POST', body: { enabled: !saved.enabled, version: saved.version } });
      setSaved({ version: stored.version, updatedAt: stored.updatedAt, enabled: stored.config.enabled });
      editor.current?.setText(stored.text);
      setStatus({ kind: 'ok', text: `${stored.config.enabled ? 'Enabled' : 'Disabled'} ${stored.number}, version ${stored.version}.` });
    } catch (err) {
      fail(err as Error);
    }
  };

  const takeTheirs = () => {
    if (!conflict) return;
    editor.current?.setText(conflict.text);
    setSaved({ version: conflict.version, updatedAt: conflict.updatedAt, enabled: conflict.config.enabled });
    setConflict(undefined);
    setStatus(undefined);
  };

  /** An earlier version into the editor, to save as the next one. */
  const loadVersion = (version: StoredNumberAnswer) => {
    editor.current?.setText(version.text);
    setStatus({ kind: 'ok', text: `Version ${version.version} is in the editor: Save stores it as version ${saved.version + 1}.` });
  };

  const problems = check?.problems ?? [];
  return (
    <section>
      <p>
        <Link href="/numbers">← Numbers</Link>
      </p>
      <div class="heading">
        <h1>{number ?? 'Add a number'}</h1>
        {number && (
          <button type="button" class={saved.enabled ? 'secondary' : ''} onClick={toggle}>
            {saved.enabled ? 'Disable' : 'Enable'}
          </button>
        )}
      </div>
      {number ? (
        <p class="muted">
          {saved.enabled ? 'Enabled' : 'Disabled'} · version {saved.version}
          {saved.updatedAt && `, updated ${shortTime(saved.updatedAt)} UTC`} · <Link href={`/calls?number=${encodeURIComponent(number)}`}>its calls</Link>
        </p>
      ) : (
        <label>
          Number (E.164)
          <input name="number" inputMode="tel" placeholder="+17134810111" value={newNumber} onInput={(e) => setNewNumber((e.currentTarget as HTMLInputElement).value)} onBlur={() => editor.current?.recheck()} />
        </label>
      )}
      <label id="config-label">Config (JSON, as `numbers get --out config.json` writes it)</label>
      <div class="editor" ref={editorHost} aria-labelledby="config-label" />
      <div class="problems" aria-live="polite">
        {check && problems.length === 0 && <p class="valid">Valid config{check.warnings.length > 0 ? ', with warnings' : ''}.</p>}
        {(problems.length > 0 || (check?.warnings.length ?? 0) > 0) && (
          <ul>
            {problems.map((p) => (
              <li class="problem" data-line={p.line}>
                Line {p.line}
                {p.path && <code>{p.path}</code>}: {p.message}
              </li>
            ))}
            {check?.warnings.map((p) => (
              <li class="warning" data-line={p.line}>
                Line {p.line}
                {p.path && <code>{p.path}</code>}: warning: {p.message}
              </li>
            ))}
          </ul>
        )}
      </div>
      {status && (
        <p class={`status status-${status.kind}`} role={status.kind === 'ok' ? 'status' : 'alert'}>
          {status.text}
        </p>
      )}
      {status?.kind === 'conflict' && (
        <p>
          {conflict ? `Someone stored version ${conflict.version} while you edited. Your text is kept here; ` : 'The number was changed meanwhile. '}
          {conflict && (
            <button type="button" class="secondary" onClick={takeTheirs}>
              Load version {conflict.version} (drops your edit)
            </button>
          )}
        </p>
      )}
      <button type="button" onClick={save}>
        {number ? 'Save' : 'Add number'}
      </button>
      {number && <Versions number={number} current={saved.version} onLoad={loadVersion} />}
    </section>
  );
}

/** The number's kept versions, newest first (`numbers versions`); an earlier one can be loaded into the editor to save again. */
function Versions({ number, current, onLoad }: { number: string; current: number; onLoad: (version: StoredNumberAnswer) => void }) {
  const versions = useLoad(() => api<NumberVersionsAnswer>(`/numbers/${encodeURIComponent(number)}/versions`), [number, current]);
  if (versions.error) return <Failure error={versions.error} />;
  const list = versions.value?.versions;
  if (!list) return null;
  const oldest = list.at(-1)?.version ?? 1;
  return (
    <section class="versions">
      <h2>Versions</h2>
      <div class="table-scroll">
        <table class="striped versions-table">
          <Columns names={['Version', 'Updated (UTC)', 'Status', 'Label', '']} />
          <tbody>
            {list.map((v, i) => (
              <tr>
                <td>{v.version}{i === 0 && ' (current)'}</td>
                <td>{shortTime(v.updatedAt)}</td>
                <td>{v.config.enabled ? 'enabled' : 'disabled'}</td>
                <td>{v.config.label}</td>
                <td>
                  {i > 0 && (
                    <button type="button" class="secondary outline" onClick={() => onLoad(v)}>
                      Load version {v.version}
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {oldest > 1 && <p class="muted">Versions 1 to {oldest - 1} were replaced before versions were kept.</p>}
    </section>
  );
}
