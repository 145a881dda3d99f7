import { json } from '@codemirror/lang-json';
import { forceLinting, lintGutter, linter, type Diagnostic } from '@codemirror/lint';
import { basicSetup, EditorView } from 'codemirror';

export interface ConfigEditor {
  text(): string;
  setText(text: string): void;
  /** Checks the text again now (the number it is checked for changed). */
  recheck(): void;
  destroy(): void;
}

export type LineProblem = { line: number; message: string; path: string; severity: 'error' | 'warning' };

/**
 * CodeMirror with JSON and a linter: `check` is asked a moment after each change, and each
 * problem it answers is marked on its line (gutter and underline), with its message on hover.
 */
export function createConfigEditor(parent: HTMLElement, doc: string, check: (text: string) => Promise<LineProblem[]>): ConfigEditor {
  const view = new EditorView({
    doc,
    parent,
    extensions: [
      basicSetup,
      json(),
      lintGutter(),
      linter(
        async (v): Promise<Diagnostic[]> => {
          const problems = await check(v.state.doc.toString()).catch(() => []);
          return problems.map((p) => {
            const line = v.state.doc.line(Math.min(Math.max(p.line, 1), v.state.doc.lines));
            return { from: line.from, to: line.to, severity: p.severity, message: p.path ? `${p.path}: ${p.message}` : p.message };
          });
        },
        { delay: 300 },
      ),
      EditorView.contentAttributes.of({ 'aria-label': 'number config (JSON)' }),
    ],
  });
  // Checked at once, so a loaded config shows its standing before any edit.
  forceLinting(view);
  return {
    text: () => view.state.doc.toString(),
    setText: (text) => view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text } }),
    recheck: () => forceLinting(view),
    destroy: () => view.destroy(),
  };
}
