import { extname } from 'node:path';
import { isMap, isSeq, parse as parseYaml, parseDocument, type Node } from 'yaml';
import type { ConfigProblem } from './config';
import { toE164 } from './e164';

/** A config file's document, before the config is checked. */
export type ConfigFile =
  | {
      ok: true;
      doc: Record<string, unknown>;
      /** The `version` a file written by `numbers get --out` carries: the put only lands on that version. */
      version?: number;
    }
  | {
      ok: false;
      message: string;
      /** The line (from 1) the text stopped being JSON or YAML on, for an editor to mark. */
      line?: number;
    };

/** Line and column (both from 1) of a character offset. */
export function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset).split('\n');
  return { line: before.length, column: before[before.length - 1].length + 1 };
}

/**
 * Where `JSON.parse` gave up: the length of the longest prefix that could still begin valid
 * JSON. V8 names an offset for most errors but not for "Unexpected token"; a prefix that can
 * begin valid JSON only has prefixes that can too, so the length is found by bisection.
 */
export function jsonErrorOffset(text: string): number {
  const couldBegin = (length: number) => {
    try {
      JSON.parse(text.slice(0, length));
      return true;
    } catch (err) {
      const at = /at position (\d+)/.exec((err as Error).message);
      return at ? Number(at[1]) >= length : /Unexpected end of JSON input/.test((err as Error).message);
    }
  };
  let [low, high] = [0, text.length];
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    if (couldBegin(mid)) low = mid;
    else high = mid - 1;
  }
  return low;
}

/** Why `JSON.parse` refused the text, and where, as line and column; without V8's copy of the text. */
export function jsonError(text: string, err: Error): { message: string; line: number } {
  const reason = err.message.replace(/, (\.\.\.)?".*" is not valid JSON$/s, '').replace(/\s*(in JSON )?at position \d+.*$/s, '');
  const { line, column } = lineAndColumn(text, jsonErrorOffset(text));
  return { message: `${reason} at line ${line}, column ${column}`, line };
}

/**
 * Reads a config file's text. A `.json` file is JSON: reading it as YAML (a superset) would let a
 * trailing comma or a comment pass, and the file would then fail wherever real JSON is read.
 * Any other file is YAML, which reads JSON too.
 */
export function parseConfigFile(path: string, text: string): ConfigFile {
  let parsed: unknown;
  if (extname(path).toLowerCase() === '.json') {
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      const { message, line } = jsonError(text, err as Error);
      return { ok: false, message: `${path} is not valid JSON: ${message}`, line };
    }
  } else {
    try {
      parsed = parseYaml(text);
    } catch (err) {
      const line = (err as { linePos?: { line: number }[] }).linePos?.[0]?.line;
      return { ok: false, message: `${path} is not valid YAML: ${(err as Error).message.split('\n')[0]}`, ...(line !== undefined && { line }) };
    }
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return { ok: false, message: `${path} must hold one number config object` };
  const { version, ...doc } = parsed as Record<string, unknown>;
  if (version !== undefined && (!Number.isInteger(version) || (version as number) < 1)) {
    return { ok: false, message: `${path}: "version" must be the whole number \`numbers get\` wrote, got ${JSON.stringify(version)}` };
  }
  return { ok: true, doc, ...(version !== undefined && { version: version as number }) };
}

/**
 * What `numbers put <number> --file` says when the file names another number: the argument
 * wins (so one file can configure several numbers), and the user hears which one was used.
 */
export function numberOverrideNote(path: string, argument: string, doc: Record<string, unknown>): string | undefined {
  const named = doc.number;
  if (named === undefined) return undefined;
  if (typeof named === 'string' && toE164(named) === argument) return undefined;
  const shown = typeof named === 'string' && toE164(named) ? toE164(named) : JSON.stringify(named);
  return `${path} names ${shown}; the config is stored under ${argument}, the number on the command line`;
}

/**
 * The line (from 1) each problem belongs to in the config's text, JSON or YAML: the line of the
 * field its path names, or of the nearest enclosing field there is when the path names a field
 * the text lacks (a required one). The console's editor marks these lines.
 */
export function problemLines(text: string, problems: readonly ConfigProblem[]): (ConfigProblem & { line: number })[] {
  const doc = parseDocument(text);
  return problems.map((problem) => {
    let node = doc.contents as Node | null;
    let offset = node?.range?.[0] ?? 0;
    for (const segment of problem.path.match(/[^.[\]]+/g) ?? []) {
      if (isMap(node)) {
        const pair = node.items.find((p) => String((p.key as { value?: unknown } | null)?.value) === segment);
        if (!pair) break;
        offset = (pair.key as Node).range?.[0] ?? offset;
        node = pair.value as Node | null;
      } else if (isSeq(node)) {
        const item = node.items[Number(segment)] as Node | undefined;
        if (!item) break;
        offset = item.range?.[0] ?? offset;
        node = item;
      } else break;
    }
    return { ...problem, line: lineAndColumn(text, offset).line };
  });
}
