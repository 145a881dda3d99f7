/** Structured logging: one JSON object per line, fields beside the message. */
export interface Log {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  /** A log whose every line also carries `fields` (e.g. the callId). */
  child(fields: Record<string, unknown>): Log;
}

type Level = 'info' | 'warn' | 'error';

/** The least severe level written; `silent` writes nothing. */
export type LogLevel = Level | 'silent';
const SEVERITY: Record<LogLevel, number> = { info: 0, warn: 1, error: 2, silent: 3 };

/**
 * `LOG_LEVEL` as Powertools for Lambda reads it (case-insensitive; `DEBUG` writes everything,
 * `CRITICAL` only errors), so the worker and the Lambda take the same values.
 */
export function logLevelFrom(value: string | undefined): LogLevel | undefined {
  const level = value?.trim().toLowerCase();
  if (!level) return undefined;
  if (level === 'debug' || level === 'trace') return 'info';
  if (level === 'critical') return 'error';
  return level in SEVERITY ? (level as LogLevel) : undefined;
}

export interface JsonLogOptions {
  write?: (line: string) => void;
  /** Default `info`. */
  level?: LogLevel;
  /** Fields on every line. */
  base?: Record<string, unknown>;
}

/** A JSON-lines logger for the worker and local hosts (the Lambda uses Powertools' Logger). */
export function jsonLog(service: string, opts: JsonLogOptions = {}): Log {
  return new JsonLog(service, opts.write ?? ((line) => process.stdout.write(line + '\n')), opts.base ?? {}, SEVERITY[opts.level ?? 'info']);
}

/** A class, not closures: the worker makes a child per held call, for as long as the call lasts. */
class JsonLog implements Log {
  constructor(
    private readonly service: string,
    private readonly write: (line: string) => void,
    private readonly base: Record<string, unknown>,
    private readonly least: number,
  ) {}

  info(message: string, fields?: Record<string, unknown>): void {
    this.emit('info', message, fields);
  }

  warn(message: string, fields?: Record<string, unknown>): void {
    this.emit('warn', message, fields);
  }

  error(message: string, fields?: Record<string, unknown>): void {
    this.emit('error', message, fields);
  }

  child(fields: Record<string, unknown>): Log {
    return new JsonLog(this.service, this.write, { ...this.base, ...fields }, this.least);
  }

  private emit(level: Level, message: string, fields?: Record<string, unknown>): void {
    if (SEVERITY[level] < this.least) return;
    this.write(JSON.stringify({ level, time: new Date().toISOString(), service: this.service, message, ...this.base, ...fields }, errorReplacer));
  }
}

export const silentLog: Log = { info: () => {}, warn: () => {}, error: () => {}, child: () => silentLog };

/** Errors as data a person can act on: what, where (the stack), why (the cause chain), and any code or status. */
function errorReplacer(_key: string, value: unknown): unknown {
  if (!(value instanceof Error)) return value;
  const extra = value as Error & { code?: unknown; status?: unknown };
  return {
    // SDK errors (openai's among them) leave `name` as 'Error': the class says which one it is.
    name: value.name === 'Error' ? value.constructor.name : value.name,
    message: value.message,
    ...(extra.code !== undefined && { code: extra.code }),
    ...(extra.status !== undefined && { status: extra.status }),
    ...(value.stack && { stack: value.stack }),
    ...(value.cause !== undefined && { cause: value.cause }),
  };
}
