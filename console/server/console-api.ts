import { checkAgainstCatalogue } from '../../core/numbers/catalogue-check';
import { checkNumberConfig, type ConfigProblem, type NumberConfig } from '../../core/numbers/config';
import { numberOverrideNote, parseConfigFile, problemLines } from '../../core/numbers/config-file';
import { dayOf } from '../../core/openai/models';
import { OUTCOMES, type Outcome } from '../../core/calls/record';
import { withCosts } from '../../core/store/call-costs';
import { InvalidCursorError, type CallHistoryStore, type CallSummary } from '../../core/store/call-history-store';
import { VersionConflictError, type NumbersStore, type StoredNumber } from '../../core/store/numbers-store';
import { numberArgument } from '../../cli/commands/numbers';
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
    ['GET', /^\/calls\/([^/]+)$/, async ([, callId]) => showCall(data.calls, decoded(callId))],
    ['GET', /^\/numbers$/, async () => listNumbers(data, now())],
    ['GET', /^\/numbers\/([^/]+)$/, async ([, number]) => getNumber(data.numbers, numberIn(number))],
    ['GET', /^\/numbers\/([^/]+)\/versions$/, async ([, number]) => numberVersions(data.numbers, numberIn(number))],
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

/** A value read with the CLI's own check of it; what the check says, as a 400. */
function checked<T>(read: () => T): T {
  try {
    return read();
  } catch (err) {
    if (err instanceof CliError) throw new ApiError(400, err.message);
    throw err;
  }
}

/** A path segment decoded: one that is not valid percent-encoding is the request's fault, a 400. */
function decoded(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new ApiError(400, `"${segment}" in the path is not valid percent-encoding`);
  }
}

function numberIn(segment: string): string {
  return checked(() => numberArgument(decoded(segment)));
}

function textIn(body: unknown): string {
  const text = (body as { text?: unknown } | undefined)?.text;
  if (typeof text !== 'string') throw new ApiError(400, 'the request needs "text": the config as JSON');
  return text;
}

/** A time filter from the query, read as the CLI reads `--since`. */
function timeIn(query: URLSearchParams, name: 'since' | 'until', now: Date): string | undefined {
  const value = query.get(name)?.trim();
  return value ? checked(() => parseSince(value, now.getTime(), name)) : undefined;
}

async function listCalls(calls: CallHistoryStore, query: URLSearchParams, now: Date) {
  const numberText = query.get('number')?.trim();
  const number = numberText ? checked(() => numberArgument(numberText)) : undefined;
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
  if (engine && cursor && shown.length < CALLS_PAGE_SIZE) {
    notice ??= `the history index does not carry the engine: this page read ${scanned} calls and found ${shown.length} answered by ${engine === 'live' ? 'GPT-Live' : 'Realtime'}; "Older" reads on`;
  }

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

/** Every call since `since`, newest first, from the history index (summaries only). */
async function callsSince(calls: CallHistoryStore, since: string, now: Date): Promise<CallSummary[]> {
  const found: CallSummary[] = [];
  let cursor: string | undefined;
  do {
    const page = await calls.list({ since, limit: 1000, cursor, now: now.getTime() });
    found.push(...page.calls);
    cursor = page.cursor;
  } while (cursor);
  return found;
}

/** Today's calls per number. */
async function callsToday(calls: CallHistoryStore, now: Date): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const c of await callsSince(calls, `${dayOf(now)}T00:00:00.000Z`, now)) counts.set(c.number, (counts.get(c.number) ?? 0) + 1);
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

/** As `numbers versions` lists them: newest first, the current one included. */
async function numberVersions(numbers: NumbersStore, number: string) {
  const versions = await numbers.versions(number);
  if (versions.length === 0) throw new ApiError(404, `number ${number} is not configured`);
  return { versions: versions.map(storedView) };
}

function storedView(stored: StoredNumber) {
  return { number: stored.config.number, config: stored.config, version: stored.version, updatedAt: stored.updatedAt, text: editorText(stored.config) };
}

export type PlacedProblem = ConfigProblem & { line: number };

/** What the editor's text is called in messages: it is read as this file would be. */
const EDITOR_FILE = 'config.json';

/**
 * The editor's text checked as `numbers validate` checks a .json file, and then as `numbers put`
 * does (the number in the page's address wins over the text's): every problem with its line.
 */
function checkText(number: string, text: string, now: Date): { config?: NumberConfig; problems: PlacedProblem[]; warnings: PlacedProblem[] } {
  // The page's version is what a save lands on: a version in the text is checked, not used.
  const file = parseConfigFile(EDITOR_FILE, text);
  if (!file.ok) return { problems: [{ path: '', message: file.message, line: file.line ?? 1 }], warnings: [] };
  const override = numberOverrideNote(EDITOR_FILE, number, file.doc);
  const { config, problems } = checkNumberConfig({ ...file.doc, number });
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

const OVERVIEW_DAYS = 30;

/** The last 30 days and the month so far, read as `status` reads the month: every call, each for its cost. */
async function overview(data: ConsoleData, now: Date) {
  const monthStart = `${dayOf(now).slice(0, 8)}01T00:00:00.000Z`;
  const windowStart = new Date(Date.parse(`${dayOf(now)}T00:00:00.000Z`) - (OVERVIEW_DAYS - 1) * 86400_000).toISOString();
  const calls = await withCosts(data.calls, await callsSince(data.calls, monthStart < windowStart ? monthStart : windowStart, now));
  return overviewOf(calls, { now, days: OVERVIEW_DAYS, monthlyBudgetUsd: data.monthlyBudgetUsd });
}

/** What the API answers, as the console's pages read it (console/app/src/api.ts). */
export type CallsPageAnswer = Awaited<ReturnType<typeof listCalls>>;
export type NumbersAnswer = Awaited<ReturnType<typeof listNumbers>>;
export type StoredNumberAnswer = ReturnType<typeof storedView>;
export type NumberVersionsAnswer = Awaited<ReturnType<typeof numberVersions>>;
export type ConfigCheckAnswer = ReturnType<typeof checkConfig>;
