import { checkAgainstCatalogue } from '../../core/numbers/catalogue-check';
import { checkNumberConfig, type ConfigProblem, type NumberConfig } from '../../core/numbers/config';
import { jsonError, lineAndColumn, jsonErrorOffset, numberOverrideNote, problemLines } from '../../core/numbers/config-file';
import { toE164 } from '../../core/numbers/e164';
import { dayOf } from '../../core/openai/models';
import { OUTCOMES, type Outcome } from '../../core/calls/record';
import { withCosts } from '../../core/store/call-costs';
import { InvalidCursorError, type CallHistoryStore } from '../../core/store/call-history-store';
import { VersionConflictError, type NumbersStore, type StoredNumber } from '../../core/store/numbers-store';
import { CliError } from '../../cli/errors';
import { json } from '../../cli/format';
import { parseSince } from '../../cli/since';
import { overviewOf } from './overview';

/** What the console reads and writes: the CLI's data target (cli/data-target.ts). */
export interface ConsoleData {
  numbers: NumbersStore;
  calls: CallHistoryStore;
  /** Where the data lives, shown in the console's header. */
  description: string;
  /** The deployed stack's monthly budget, when it sets one. */
  monthlyBudgetUsd?: number;
}

/** An answer the console's API gives instead of data: a status and a message for the page to show. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export interface ApiRequest {
  method: string;
  /** The path under `/api`, e.g. `/calls/rtc_123`. */
  path: string;
  query: URLSearchParams;
  body?: unknown;
}

const CALLS_PAGE_SIZE = 25;
/** How many calls an engine-filtered page reads at most to fill itself (the history indexes do not carry the engine). */
const ENGINE_SCAN_LIMIT = 500;

const ENGINES = ['realtime', 'live'] as const;

/**
 * The console's JSON API, over the same stores and checks as the CLI: `calls list`, `calls show`,
 * `numbers list/get/validate/put/enable/disable` and `status`'s spend. Each answer is what the
 * page shows; a failure is an ApiError (or the store's own error, which the server describes).
 */
export function consoleApi(data: ConsoleData, now: () => Date = () => new Date()) {
  const routes: Array<[method: string, pattern: RegExp, handler: (match: RegExpExecArray, req: ApiRequest) => Promise<unknown>]> = [
    ['GET', /^\/session$/, async () => ({ target: data.description, today: dayOf(now()) })],
    ['GET', /^\/calls$/, async (_, req) => listCalls(data.calls, req.query, now())],
    ['GET', /^\/calls\/([^/]+)$/, async ([, callId]) => showCall(data.calls, decodeURIComponent(callId))],
    ['GET', /^\/numbers$/, async () => listNumbers(data, now())],
    ['GET', /^\/numbers\/([^/]+)$/, async ([, number]) => getNumber(data.numbers, numberIn(number))],
    ['POST', /^\/numbers\/([^/]+)\/check$/, async ([, number], req) => checkConfig(numberIn(number), textIn(req.body), now())],
    ['PUT', /^\/numbers\/([^/]+)$/, async ([, number], req) => putNumber(data.numbers, numberIn(number), req.body, now())],
    ['POST', /^\/numbers\/([^/]+)\/enabled$/, async ([, number], req) => setEnabled(data.numbers, numberIn(number), req.body)],
    ['GET', /^\/overview$/, async () => overview(data, now())],
  ];
  return async (req: ApiRequest): Promise<unknown> => {
    const matching = routes.filter(([, pattern]) => pattern.test(req.path));
    if (matching.length === 0) throw new ApiError(404, `no such API: ${req.path}`);
    const route = matching.find(([method]) => method === req.method);
    if (!route) throw new ApiError(405, `${req.method} is not allowed on ${req.path}`, { allow: matching.map(([method]) => method).join(', ') });
    return route[2](route[1].exec(req.path)!, req);
  };
}

function numberIn(segment: string): string {
  const raw = decodeURIComponent(segment);
  const number = toE164(raw);
  if (!number) throw new ApiError(400, `"${raw}" is not a valid phone number (expected E.164 with country code, e.g. +17134810111)`);
  return number;
}

function textIn(body: unknown): string {
  const text = (body as { text?: unknown } | undefined)?.text;
  if (typeof text !== 'string') throw new ApiError(400, 'the request needs "text": the config as JSON');
  return text;
}

/** A filter value from the query, checked as the CLI checks its option. */
function timeIn(query: URLSearchParams, name: 'since' | 'until', now: Date): string | undefined {
  const value = query.get(name)?.trim();
  if (!value) return undefined;
  try {
    return parseSince(value, now.getTime(), name);
  } catch (err) {
    if (err instanceof CliError) throw new ApiError(400, err.message);
    throw err;
  }
}

async function listCalls(calls: CallHistoryStore, query: URLSearchParams, now: Date) {
  const numberText = query.get('number')?.trim();
  const number = numberText ? toE164(numberText) : undefined;
  if (numberText && !number) throw new ApiError(400, `number "${numberText}" is not a valid phone number (expected E.164 with country code, e.g. +17134810111)`);
  const outcome = query.get('outcome') || undefined;
  if (outcome && !(OUTCOMES as readonly string[]).includes(outcome)) throw new ApiError(400, `outcome must be one of ${OUTCOMES.join(', ')}; got "${outcome}"`);
  const engine = query.get('engine') || undefined;
  if (engine && !(ENGINES as readonly string[]).includes(engine)) throw new ApiError(400, `engine must be realtime or live; got "${engine}"`);
  const since = timeIn(query, 'since', now);
  const until = timeIn(query, 'until', now);
  if (since && until && since > until) throw new ApiError(400, `"since" (${since}) is after "until" (${until})`);
  const filter = { number, outcome: outcome as Outcome | undefined, since, until };

  const shown: Awaited<ReturnType<typeof withCosts>> = [];
  let cursor = query.get('cursor') || undefined;
  let scanned = 0;
  let notice: string | undefined;
  do {
    const want = CALLS_PAGE_SIZE - shown.length;
    const page = await calls.list({ ...filter, limit: want, cursor, now: now.getTime() }).catch((err: unknown) => {
      if (err instanceof InvalidCursorError) throw new ApiError(400, 'this page\'s cursor is not one the console gave: go back to the newest calls');
      throw err;
    });
    const costed = await withCosts(calls, page.calls);
    shown.push(...costed.filter((c) => !engine || (c.engine ?? 'realtime') === engine));
    scanned += page.calls.length;
    cursor = page.cursor;
    notice ??= page.notice;
  } while (engine && cursor && shown.length < CALLS_PAGE_SIZE && scanned < ENGINE_SCAN_LIMIT);

  return {
    calls: shown.map((c) => ({ ...c, engine: c.engine ?? 'realtime' })),
    cursor: cursor ?? null,
    ...(notice && { notice }),
  };
}

async function showCall(calls: CallHistoryStore, callId: string) {
  const record = await calls.get(callId);
  if (!record) throw new ApiError(404, `no call ${callId}`);
  return record;
}

/** Today's calls per number, from the history index (summaries only). */
async function callsToday(calls: CallHistoryStore, now: Date): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  let cursor: string | undefined;
  do {
    const page = await calls.list({ since: `${dayOf(now)}T00:00:00.000Z`, limit: 1000, cursor, now: now.getTime() });
    for (const c of page.calls) counts.set(c.number, (counts.get(c.number) ?? 0) + 1);
    cursor = page.cursor;
  } while (cursor);
  return counts;
}

async function listNumbers(data: ConsoleData, now: Date) {
  const [numbers, today] = await Promise.all([data.numbers.list(), callsToday(data.calls, now)]);
  return {
    numbers: numbers.map(({ config, version, updatedAt }) => ({
      number: config.number,
      label: config.label,
      engine: config.agent ? (config.agent.engine ?? 'realtime') : undefined,
      enabled: config.enabled,
      version,
      updatedAt,
      callsToday: today.get(config.number) ?? 0,
    })),
  };
}

/** The config as the editor shows it: what `numbers get --out <file>.json` writes, without the version (the page keeps that). */
function editorText(config: NumberConfig): string {
  return json(config) + '\n';
}

async function getNumber(numbers: NumbersStore, number: string) {
  const stored = await numbers.get(number);
  if (!stored) throw new ApiError(404, `number ${number} is not configured`);
  return storedView(stored);
}

function storedView(stored: StoredNumber) {
  return { number: stored.config.number, config: stored.config, version: stored.version, updatedAt: stored.updatedAt, text: editorText(stored.config) };
}

export type PlacedProblem = ConfigProblem & { line: number };

/**
 * The editor's text checked as `numbers validate` checks a .json file, and then as `numbers put`
 * does (the number in the page's address wins over the text's): every problem with its line.
 */
function checkText(number: string, text: string, now: Date): { config?: NumberConfig; problems: PlacedProblem[]; warnings: PlacedProblem[] } {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    return { problems: [{ path: '', message: `not valid JSON: ${jsonError(text, err as Error)}`, line: lineAndColumn(text, jsonErrorOffset(text)).line }], warnings: [] };
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return { problems: [{ path: '', message: 'the text must hold one number config object', line: 1 }], warnings: [] };
  const { version: _version, ...fields } = doc as Record<string, unknown>;
  const override = numberOverrideNote('the text', number, fields);
  const { config, problems } = checkNumberConfig({ ...fields, number });
  if (!config) return { problems: problemLines(text, problems), warnings: [] };
  const { warnings, errors } = checkAgainstCatalogue(config, dayOf(now));
  return {
    ...(errors.length === 0 && { config }),
    problems: problemLines(text, errors),
    warnings: problemLines(text, [...(override ? [{ path: 'number', message: override }] : []), ...warnings]),
  };
}

function checkConfig(number: string, text: string, now: Date) {
  const { problems, warnings } = checkText(number, text, now);
  return { valid: problems.length === 0, problems, warnings };
}

function versionIn(body: unknown): number {
  const version = (body as { version?: unknown } | undefined)?.version;
  if (!Number.isInteger(version) || (version as number) < 0) throw new ApiError(400, 'the request needs "version": the version the page read (0 for a new number)');
  return version as number;
}

/** Stores only on the version the page read: another edit meanwhile is shown, never overwritten. */
async function store(numbers: NumbersStore, config: NumberConfig, expectedVersion: number) {
  try {
    return storedView(await numbers.put(config, { expectedVersion }));
  } catch (err) {
    if (!(err instanceof VersionConflictError)) throw err;
    const current = await numbers.get(config.number);
    throw new ApiError(409, `${err.message}; nothing was stored`, { current: current ? storedView(current) : null });
  }
}

async function putNumber(numbers: NumbersStore, number: string, body: unknown, now: Date) {
  const expectedVersion = versionIn(body);
  const { config, problems } = checkText(number, textIn(body), now);
  if (!config) throw new ApiError(422, `not a valid number config (${problems.length} problem${problems.length === 1 ? '' : 's'}); nothing was stored`, { problems });
  return store(numbers, config, expectedVersion);
}

async function setEnabled(numbers: NumbersStore, number: string, body: unknown) {
  const enabled = (body as { enabled?: unknown } | undefined)?.enabled;
  if (typeof enabled !== 'boolean') throw new ApiError(400, 'the request needs "enabled": true or false');
  const expectedVersion = versionIn(body);
  const current = await numbers.get(number);
  if (!current) throw new ApiError(404, `number ${number} is not configured`);
  const { config, problems } = checkNumberConfig({ ...current.config, enabled });
  if (!config) throw new ApiError(422, `cannot ${enabled ? 'enable' : 'disable'} ${number}`, { problems: problems.map((p) => ({ ...p, line: 1 })) });
  return store(numbers, config, expectedVersion);
}

/** The last 30 days and the month so far, read as `status` reads the month: every call, each for its cost. */
async function overview(data: ConsoleData, now: Date) {
  const monthStart = `${dayOf(now).slice(0, 8)}01T00:00:00.000Z`;
  const windowStart = new Date(Date.parse(`${dayOf(now)}T00:00:00.000Z`) - 29 * 86400_000).toISOString();
  const since = monthStart < windowStart ? monthStart : windowStart;
  const summaries = [];
  let cursor: string | undefined;
  do {
    const page = await data.calls.list({ since, limit: 1000, cursor, now: now.getTime() });
    summaries.push(...page.calls);
    cursor = page.cursor;
  } while (cursor);
  const calls = await withCosts(data.calls, summaries);
  return overviewOf(calls, { now, days: 30, monthlyBudgetUsd: data.monthlyBudgetUsd });
}

/** What the API answers, as the console's pages read it (console/app/src/api.ts). */
export type CallsPageAnswer = Awaited<ReturnType<typeof listCalls>>;
export type NumbersAnswer = Awaited<ReturnType<typeof listNumbers>>;
export type StoredNumberAnswer = ReturnType<typeof storedView>;
export type ConfigCheckAnswer = ReturnType<typeof checkConfig>;
