/** Structured logging: one JSON object per line, fields beside the message. */
export interface Log {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  /** A log whose every line also carries `fields` (e.g. the callId). */
  child(fields: Record<string, unknown>): Log;
}

type Level = 'info' | 'warn' | 'error';

/** A JSON-lines logger for the worker and local hosts (the Lambda uses Powertools' Logger). */
export function jsonLog(service: string, write: (line: string) => void = (line) => process.stdout.write(line + '\n'), base: Record<string, unknown> = {}): Log {
  return new JsonLog(service, write, base);
}

/** A class, not closures: the worker makes a child per held call, for as long as the call lasts. */
class JsonLog implements Log {
  constructor(
    private readonly service: string,
    private readonly write: (line: string) => void,
    private readonly base: Record<string, unknown>,
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
    return new JsonLog(this.service, this.write, { ...this.base, ...fields });
  }

  private emit(level: Level, message: string, fields?: Record<string, unknown>): void {
    this.write(JSON.stringify({ level, time: new Date().toISOString(), service: this.service, message, ...this.base, ...fields }, errorReplacer));
  }
}

export const silentLog: Log = { info: () => {}, warn: () => {}, error: () => {}, child: () => silentLog };

function errorReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) return { name: value.name, message: value.message, ...('status' in value && { status: value.status }) };
  return value;
}
