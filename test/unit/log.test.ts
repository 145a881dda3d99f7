import { APIConnectionError } from 'openai';
import { jsonLog, logLevelFrom, type LogLevel } from '../../core/runtime/log';

function capture(level?: LogLevel) {
  const lines: Record<string, unknown>[] = [];
  return { lines, log: jsonLog('test', { level, write: (line) => lines.push(JSON.parse(line) as Record<string, unknown>) }) };
}

describe('the JSON log', () => {
  it.each<[string | undefined, LogLevel | undefined]>([
    [undefined, undefined],
    ['', undefined],
    ['INFO', 'info'],
    ['warn', 'warn'],
    [' Error ', 'error'],
    ['DEBUG', 'info'],
    ['CRITICAL', 'error'],
    ['SILENT', 'silent'],
    ['loud', undefined],
  ])('reads LOG_LEVEL %p as %p', (value, level) => {
    expect(logLevelFrom(value)).toBe(level);
  });

  it.each<[LogLevel, string[]]>([
    ['info', ['info', 'warn', 'error']],
    ['warn', ['warn', 'error']],
    ['error', ['error']],
    ['silent', []],
  ])('at %s writes %p', (level, written) => {
    const { lines, log } = capture(level);
    const child = log.child({ callId: 'rtc_1' });
    child.info('i');
    child.warn('w');
    child.error('e');
    expect(lines.map((l) => l.level)).toEqual(written);
  });

  it('keeps an error\'s stack, code and cause chain', () => {
    const { lines, log } = capture();
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' });
    log.error('request failed', { error: new APIConnectionError({ message: 'Connection error.', cause: refused }) });
    const error = lines[0].error as Record<string, unknown>;
    expect(error).toMatchObject({ name: 'APIConnectionError', message: 'Connection error.', stack: expect.stringContaining('log.test.ts') });
    expect(error.cause).toMatchObject({ name: 'Error', code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 127.0.0.1:9', stack: expect.any(String) });
  });
});
