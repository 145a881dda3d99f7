import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiFailure } from './api';

/** What failed, as the console's API said it: a missing key, a denied permission, a conflict. */
export function Failure({ error }: { error: Error }) {
  const unauthorised = error instanceof ApiFailure && error.status === 401;
  return (
    <article class="failure" role="alert">
      <strong>{unauthorised ? 'This console needs its key.' : 'Something failed.'}</strong>
      <p>{error.message}</p>
    </article>
  );
}

/** A table's header row: a column heading each. */
export function Columns({ names }: { names: string[] }) {
  return (
    <thead>
      <tr>
        {names.map((name) => (
          <th scope="col">{name}</th>
        ))}
      </tr>
    </thead>
  );
}

export function Empty({ title, children }: { title: string; children: ComponentChildren }) {
  return (
    <article class="empty">
      <h2>{title}</h2>
      {children}
    </article>
  );
}

/**
 * Loads with `load` and again whenever `deps` change; with `poll`, again every `everyMs` while
 * `poll.while` says so of what was loaded (a live call, the newest page of calls), without a reload.
 * Neither a value nor an error yet: still loading.
 */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[], poll?: { everyMs: number; while: (value: T) => boolean }) {
  const [state, setState] = useState<{ value?: T; error?: Error }>({});
  const generation = useRef(0);
  const reload = () => {
    const mine = ++generation.current;
    return load().then(
      (value) => mine === generation.current && setState({ value }),
      (error: Error) => mine === generation.current && setState((s) => ({ ...s, error })),
    );
  };
  useEffect(() => {
    setState({});
    void reload();
    return () => {
      generation.current++;
    };
  }, deps);
  useEffect(() => {
    if (!poll || state.value === undefined || !poll.while(state.value)) return;
    const timer = setTimeout(() => void reload(), poll.everyMs);
    return () => clearTimeout(timer);
  }, [state.value, state.error]);
  return state;
}
