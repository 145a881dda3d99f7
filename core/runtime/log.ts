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
  const emit = (level: Level) => (message: string, fields?: Record<string, unknown>) =>
    write(JSON.stringify({ level, time: new Date().toISOString(), service, message, ...base, ...fields }, errorReplacer));
  return {
    info: emit('info'),
    warn: emit('warn'),
    error: emit('error'),
    child: (fields) => jsonLog(service, write, { ...base, ...fields }),
  };
}

export const silentLog: Log = { info: () => {}, warn: () => {}, error: () => {}, child: () => silentLog };

function errorReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) return { name: value.name, message: value.message, ...('status' in value && { status: value.status }) };
  return value;
}
