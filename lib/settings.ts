/**
 * Deployment settings of the Switchboard CDK app: what a user may set with `-c key=value` (or in
 * `cdk.json` under "context"), their defaults, and their validation. A pure function of a context
 * record, so the rules are tested without building an app. Only `bin/switchboard.ts` reads the
 * real context and hands it here.
 */
import { DELIVERY_EVENTS, type DeliveryEvent } from '../core/delivery/delivery-plan';
import { DEFAULT_CALL_RETENTION_DAYS } from '../core/runtime/contract';

export type NetworkingMode = 'public' | 'nat';

export interface SwitchboardSettings {
  /** Names the stacks (`Switchboard-<stage>-Data`, `Switchboard-<stage>-Calls`). */
  readonly stage: string;
  /** OpenAI project id (`proj_...`), only used to print the SIP URI for Wavix. */
  readonly openAiProjectId?: string;
  readonly workerMinTasks: number;
  readonly workerMaxTasks: number;
  /** Calls one worker task holds at most; also the basis of the autoscaling target. */
  readonly callsPerTask: number;
  /** Days a call record is kept before DynamoDB's TTL deletes it. */
  readonly callRetentionDays: number;
  readonly networking: NetworkingMode;
  /** Reserved concurrency of the webhook Lambda; `'none'` shares the account's unreserved pool. */
  readonly webhookReservedConcurrency: number | 'none';
  /** Email address subscribed to the alarm topic (confirm the subscription mail). */
  readonly alarmEmail?: string;
  /** Where finished calls of numbers whose config has no `notify` are delivered (an https:// URL). */
  readonly notifyUrl?: string;
  /** The events notifyUrl gets, when given (only with notifyUrl); unset, the delivery Lambda sends `call.ended` alone. */
  readonly notifyEvents?: readonly DeliveryEvent[];
  /** US dollars: the alarm topic hears when the month's estimated OpenAI spend passes it. */
  readonly monthlyBudgetUsd?: number;
}

/** Every setting, its default and what it means: the README's settings table is written from this. */
export const SETTINGS_HELP: Record<keyof SwitchboardSettings, { default: string; meaning: string }> = {
  stage: { default: 'dev', meaning: 'Stage name, part of the stack names. `dev` and `dev-*` stages delete their tables on teardown; every other stage retains them and turns on deletion protection.' },
  openAiProjectId: { default: '(unset)', meaning: 'OpenAI project id (`proj_...`), used to print the SIP URI to set in Wavix.' },
  workerMinTasks: { default: '1', meaning: 'Fewest call worker tasks (Fargate) kept running.' },
  workerMaxTasks: { default: '4', meaning: 'Most call worker tasks autoscaling may run.' },
  callsPerTask: { default: '200', meaning: 'Live calls one worker task holds at most; autoscaling aims at 70% of it.' },
  callRetentionDays: { default: String(DEFAULT_CALL_RETENTION_DAYS), meaning: 'Days a call record (with its transcript) is kept before DynamoDB expires it.' },
  networking: { default: 'public', meaning: '`public`: workers in public subnets with a public IP and a security group without inbound rules (no NAT cost). `nat`: workers in private subnets, egress through one NAT gateway per AZ.' },
  webhookReservedConcurrency: { default: '50', meaning: 'Reserved concurrency of the webhook Lambda: guarantees it capacity and caps what a flood can cost. `none` reserves nothing (for accounts whose Lambda concurrency quota is too small to reserve from, e.g. new accounts limited to 10).' },
  alarmEmail: { default: '(unset)', meaning: 'Email address subscribed to the alarm topic.' },
  notifyUrl: { default: '(unset)', meaning: 'Default delivery endpoint (`https://...`): finished calls of numbers whose config has no `notify` are delivered here, signed as any delivery.' },
  notifyEvents: { default: 'call.ended', meaning: `Comma-separated events notifyUrl gets, of ${DELIVERY_EVENTS.join(', ')}; only with notifyUrl.` },
  monthlyBudgetUsd: { default: '(unset)', meaning: 'Monthly budget in US dollars: an alarm when the month\'s estimated OpenAI spend passes it (`switchboard status` shows the spend).' },
};

export const DEFAULT_SETTINGS = {
  stage: 'dev',
  workerMinTasks: 1,
  workerMaxTasks: 4,
  callsPerTask: 200,
  callRetentionDays: DEFAULT_CALL_RETENTION_DAYS,
  networking: 'public',
  webhookReservedConcurrency: 50,
} as const satisfies Partial<SwitchboardSettings>;

export const SETTING_KEYS = Object.keys(SETTINGS_HELP) as (keyof SwitchboardSettings)[];

const STAGE_PATTERN = /^[a-z][a-z0-9-]{0,19}$/;
const PROJECT_ID_PATTERN = /^proj_[A-Za-z0-9]+$/;
const EMAIL_PATTERN = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const NETWORKING_MODES: readonly NetworkingMode[] = ['public', 'nat'];
const NOTIFY_URL_EXAMPLE = 'https://crm.example.com/voice/calls';
/** As a number's own `notify` url (core/numbers/config.ts). */
const NOTIFY_URL_MAX_LENGTH = 2_048;
const DOLLARS_PATTERN = /^\s*\d+(\.\d+)?\s*$/;

export class SettingsError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid Switchboard settings (set them with -c key=value or in cdk.json "context"):\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'SettingsError';
  }
}

/**
 * Reads the settings from a context record (values are strings when given with `-c`, JSON values
 * when written in cdk.json). Unset keys take their defaults; every problem is reported at once.
 */
export function parseSettings(context: Readonly<Record<string, unknown>>): SwitchboardSettings {
  const problems: string[] = [];
  const given = (key: keyof SwitchboardSettings): unknown => {
    const value = context[key];
    return value === undefined || value === null || value === '' ? undefined : value;
  };
  const text = (key: keyof SwitchboardSettings): string | undefined => {
    const value = given(key);
    if (value === undefined) return undefined;
    if (typeof value !== 'string') {
      problems.push(`${key} must be a string, got ${JSON.stringify(value)}`);
      return undefined;
    }
    return value.trim();
  };
  const integer = (key: keyof SwitchboardSettings, fallback: number, min: number, max: number, orElse = ''): number => {
    const value = given(key);
    if (value === undefined) return fallback;
    const parsed = typeof value === 'number' ? value : typeof value === 'string' && /^\s*-?\d+\s*$/.test(value) ? Number(value) : NaN;
    if (!Number.isInteger(parsed) || parsed < min || parsed > max) {
      problems.push(`${key} must be a whole number from ${min} to ${max}${orElse}, got ${JSON.stringify(value)}`);
      return fallback;
    }
    return parsed;
  };

  const stage = text('stage') ?? DEFAULT_SETTINGS.stage;
  if (!STAGE_PATTERN.test(stage)) {
    problems.push(`stage must match ${STAGE_PATTERN} (lower-case letters, digits and dashes, starting with a letter, at most 20), got "${stage}"`);
  }

  const openAiProjectId = text('openAiProjectId');
  if (openAiProjectId !== undefined && !PROJECT_ID_PATTERN.test(openAiProjectId)) {
    problems.push(`openAiProjectId must look like "proj_XnGzQBp38qGPqjV5GaYVXVGY" (OpenAI platform > Settings > Project > General), got "${openAiProjectId}"`);
  }

  const workerMinTasks = integer('workerMinTasks', DEFAULT_SETTINGS.workerMinTasks, 1, 100);
  const workerMaxTasks = integer('workerMaxTasks', DEFAULT_SETTINGS.workerMaxTasks, 1, 100);
  if (workerMinTasks > workerMaxTasks) {
    problems.push(`workerMinTasks (${workerMinTasks}) must not exceed workerMaxTasks (${workerMaxTasks})`);
  }
  const callsPerTask = integer('callsPerTask', DEFAULT_SETTINGS.callsPerTask, 1, 2000);
  // DynamoDB TTL and the call history make sense from a day to ten years.
  const callRetentionDays = integer('callRetentionDays', DEFAULT_SETTINGS.callRetentionDays, 1, 3650);
  const webhookReservedConcurrency =
    given('webhookReservedConcurrency') === 'none'
      ? 'none'
      : integer('webhookReservedConcurrency', DEFAULT_SETTINGS.webhookReservedConcurrency, 1, 1000, ' or "none"');

  const networkingText = text('networking') ?? DEFAULT_SETTINGS.networking;
  const networking = NETWORKING_MODES.find((mode) => mode === networkingText);
  if (!networking) {
    problems.push(`networking must be one of ${NETWORKING_MODES.map((m) => `"${m}"`).join(', ')}, got "${networkingText}"`);
  }

  const alarmEmail = text('alarmEmail');
  if (alarmEmail !== undefined && !EMAIL_PATTERN.test(alarmEmail)) {
    problems.push(`alarmEmail must be an email address, got "${alarmEmail}"`);
  }

  const notifyUrl = text('notifyUrl');
  if (notifyUrl !== undefined) {
    const problem = notifyUrlProblem(notifyUrl);
    if (problem) problems.push(problem);
  }

  const notifyEvents = deliveryEvents(given('notifyEvents'), problems);
  if (notifyEvents !== undefined && notifyUrl === undefined) {
    problems.push('notifyEvents is only for the default endpoint: set notifyUrl too, or leave notifyEvents out');
  }

  const budget = given('monthlyBudgetUsd');
  let monthlyBudgetUsd: number | undefined;
  if (budget !== undefined) {
    const parsed = typeof budget === 'number' ? budget : typeof budget === 'string' && DOLLARS_PATTERN.test(budget) ? Number(budget) : NaN;
    if (Number.isFinite(parsed) && parsed > 0) monthlyBudgetUsd = parsed;
    else problems.push(`monthlyBudgetUsd must be a positive number of US dollars (e.g. 100 or 49.50), got ${JSON.stringify(budget)}`);
  }

  if (problems.length > 0) throw new SettingsError(problems);
  return {
    stage,
    ...(openAiProjectId !== undefined && { openAiProjectId }),
    workerMinTasks,
    workerMaxTasks,
    callsPerTask,
    callRetentionDays,
    networking: networking ?? DEFAULT_SETTINGS.networking,
    webhookReservedConcurrency,
    ...(alarmEmail !== undefined && { alarmEmail }),
    ...(notifyUrl !== undefined && { notifyUrl }),
    ...(notifyEvents !== undefined && { notifyEvents }),
    ...(monthlyBudgetUsd !== undefined && { monthlyBudgetUsd }),
  };
}

/**
 * https only: the delivery Lambda reaches the endpoint over the internet (lambda/delivery checks
 * it again at its start, core/delivery/default-notify.ts, and refuses private addresses per call).
 */
function notifyUrlProblem(value: string): string | undefined {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  // Checked first, and the value not repeated: it holds a password.
  if (url && (url.username || url.password)) return 'notifyUrl must not carry a user name or password: deliveries are signed (verify them with the tool signing secret)';
  if (url?.protocol !== 'https:') return `notifyUrl must be an https:// URL (e.g. ${NOTIFY_URL_EXAMPLE}), got "${value}"`;
  if (value.length > NOTIFY_URL_MAX_LENGTH) return `notifyUrl must be at most ${NOTIFY_URL_MAX_LENGTH} characters, got ${value.length}`;
  return undefined;
}

/**
 * notifyEvents as `-c` gives it (comma-separated) or cdk.json may (that, or an array of strings):
 * the events named, each once; undefined when unset or on a problem (pushed to `problems`).
 */
function deliveryEvents(value: unknown, problems: string[]): DeliveryEvent[] | undefined {
  if (value === undefined) return undefined;
  const names = typeof value === 'string' ? value.split(',') : Array.isArray(value) && value.every((v) => typeof v === 'string') ? (value as string[]) : undefined;
  const allowed = `comma-separated, each one of ${DELIVERY_EVENTS.join(', ')}`;
  if (!names) {
    problems.push(`notifyEvents must be a list of events (${allowed}), got ${JSON.stringify(value)}`);
    return undefined;
  }
  const named = names.map((name) => name.trim()).filter(Boolean);
  const unknown = named.filter((name) => !DELIVERY_EVENTS.includes(name as DeliveryEvent));
  if (named.length === 0 || unknown.length > 0) {
    const what = named.length === 0 ? 'names no event' : `has unknown ${unknown.length === 1 ? 'event' : 'events'} ${unknown.map((name) => `"${name}"`).join(', ')}`;
    problems.push(`notifyEvents ${what} (${allowed}), got ${JSON.stringify(value)}`);
    return undefined;
  }
  return [...new Set(named as DeliveryEvent[])];
}

/** `dev` and `dev-<name>` stages are disposable: their tables are destroyed with the stack. */
export function isDevStage(stage: string): boolean {
  return stage === 'dev' || stage.startsWith('dev-');
}

/** The SIP URI a Wavix number is routed to; when the project id is unset, how to set it. */
export function sipUriFor(openAiProjectId: string | undefined): string {
  return openAiProjectId
    ? `${openAiProjectId}@sip.api.openai.com;transport=tls`
    : SIP_URI_UNSET;
}

/** Output value when no project id was given (no "@", so it can never be mistaken for a URI). */
export const SIP_URI_UNSET =
  'UNSET: the OpenAI project id is not set; redeploy with -c openAiProjectId=proj_... (OpenAI platform > Settings > Project > General) to print the SIP URI';

export function stackNames(stage: string): { data: string; calls: string } {
  return { data: `Switchboard-${stage}-Data`, calls: `Switchboard-${stage}-Calls` };
}

/**
 * Where a stage's tool secrets live in Secrets Manager: `{{secret:NAME}}` in a tool's headers is
 * the secret named `<prefix>NAME` (`switchboard secrets set tool:NAME` creates it). The trailing
 * slash keeps stage `dev` from reaching stage `dev-2`'s secrets.
 */
export function toolSecretsPrefix(stage: string): string {
  return `switchboard/${stage}/tool/`;
}

/** The stage a call stack was deployed with, read back from its name (undefined if not named by `stackNames`). */
export function stageOfCallStack(stackName: string): string | undefined {
  return /^Switchboard-(.+)-Calls$/.exec(stackName)?.[1];
}
