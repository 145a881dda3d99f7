import { gzipSync } from 'node:zlib';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { browserOpener } from '../../cli/commands/console';
import { CONSOLE_ASSETS_DIR } from '../../console/server/console-server';

describe('switchboard console', () => {
  it('opens a browser only where there is a display to show it on', () => {
    expect(browserOpener('linux', {})).toBeUndefined();
    expect(browserOpener('linux', { DISPLAY: ':0' })?.command).toBe('xdg-open');
    expect(browserOpener('linux', { WAYLAND_DISPLAY: 'wayland-0' })?.command).toBe('xdg-open');
    expect(browserOpener('darwin', {})?.args('http://127.0.0.1:1/#launch=x')).toEqual(['http://127.0.0.1:1/#launch=x']);
    expect(browserOpener('win32', {})?.command).toBe('cmd');
  });

  it('loads under 200 KiB of JavaScript (gzipped) on its first page; the editor and the chart come with their pages', () => {
    const html = readFileSync(join(CONSOLE_ASSETS_DIR, 'index.html'), 'utf8');
    const entry = [...html.matchAll(/(?:src|href)="\/(assets\/[^"]+\.js)"/g)].map((m) => m[1]);
    expect(entry.length).toBeGreaterThan(0);
    const gzipped = entry.reduce((sum, file) => sum + gzipSync(readFileSync(join(CONSOLE_ASSETS_DIR, file))).length, 0);
    expect(gzipped).toBeLessThan(200 * 1024);
    const chunks = readdirSync(join(CONSOLE_ASSETS_DIR, 'assets'));
    expect(chunks.some((f) => f.startsWith('editor-'))).toBe(true);
    expect(entry.some((f) => f.includes('editor-') || f.includes('day-chart-'))).toBe(false);
  });
});
