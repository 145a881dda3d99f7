/// <reference lib="dom" />
// page.evaluate runs its functions in the browser: they see the DOM.
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { CallRecord } from '../../core/calls/record';
import { runCli, startCli, ROOT } from '../support/cli';
import { eventually, freePort } from '../support/local-stack';
import { statusOf } from '../support/raw-request';

/**
 * The console end to end: `switchboard dev --emulator` answers calls placed with `switchboard
 * call`, `switchboard console` serves them, and Debian's Chromium reads and edits them as an
 * operator would. Each page's screenshot goes to docs/console/, which the README shows.
 */

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SCREENSHOTS = join(ROOT, 'docs/console');
const NO_OPENAI = { OPENAI_API_KEY: '', OPENAI_WEBHOOK_SECRET: '', OPENAI_BASE_URL: '' };
const SUPPORT = '+17134810111';
const LIVE = '+17134810133';

describe('switchboard console in Chromium, against switchboard dev', () => {
  let dataDir: string;
  let endpoint: string;
  let devPort: number;
  let dev: Awaited<ReturnType<typeof startCli>>;
  let console_: Awaited<ReturnType<typeof startCli>>;
  let url: string;
  let origin: string;
  let token: string;
  let browser: Browser;
  let page: Page;
  const placed: Record<string, CallRecord> = {};

  const call = async (number: string, args: string[] = []) => {
    const result = await runCli(['call', number, ...args, '--port', String(devPort), '--json']);
    if (result.code !== 0) throw new Error(`switchboard call failed: ${result.stderr}`);
    return JSON.parse(result.stdout) as CallRecord;
  };
  const rows = () => page.locator('table.calls tbody tr');

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'switchboard-console-'));
    devPort = await freePort();
    const dynamodbPort = await freePort();
    endpoint = `http://127.0.0.1:${dynamodbPort}`;
    dev = await startCli(['dev', '--emulator', '--port', String(devPort), '--dynamodb-port', String(dynamodbPort), '--data-dir', dataDir], /place a call:/, NO_OPENAI);
    const support = JSON.parse(await readFile(join(ROOT, 'examples/support-line.json'), 'utf8'));
    const live = { ...support, number: LIVE, label: 'Live line', agent: { engine: 'live', instructions: 'Warm and brief.', greeting: support.agent.greeting, backend: { instructions: support.agent.instructions } } };
    await writeFile(join(dataDir, 'live.json'), JSON.stringify(live));
    for (const [number, file] of [[SUPPORT, join(ROOT, 'examples/support-line.json')], [LIVE, join(dataDir, 'live.json')]]) {
      const put = await runCli(['numbers', 'put', number, '--file', file, '--endpoint', endpoint]);
      if (put.code !== 0) throw new Error(put.stderr);
    }
    // At a phone conversation's pace, placed together: a finished call, a transfer, one turned away, one on GPT-Live.
    [placed.question, placed.transfer, placed.rejected, placed.live] = await Promise.all([
      call(SUPPORT, ['--from', '+14155550101']),
      call(SUPPORT, ['--from', '+14155550102', '--scenario', 'transfer']),
      call('+17134810999', ['--from', '+14155550103']),
      call(LIVE, ['--from', '+14155550104']),
    ]);

    console_ = await startCli(['console', '--no-open', '--port', '0', '--endpoint', endpoint], /http:\/\/127\.0\.0\.1:\d+\/#token=\S+/);
    url = /http:\/\/127\.0\.0\.1:\d+\/#token=\S+/.exec(console_.output())![0];
    origin = new URL(url).origin;
    token = new URL(url).hash.slice('#token='.length);

    await mkdir(SCREENSHOTS, { recursive: true });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    await page.goto(url);
  }, 90000);

  afterAll(async () => {
    await browser?.close();
    await console_?.stop();
    await dev?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('prints its address with a token, and takes the token out of the address bar', async () => {
    expect(console_.output()).toContain(`switchboard console: ${endpoint}, on this machine only`);
    await page.waitForURL(`${origin}/calls`);
    expect(page.url()).not.toContain(token);
  });

  it('refuses API requests without the token (401) and writes from another origin (403)', async () => {
    expect((await fetch(`${origin}/api/calls`)).status).toBe(401);
    expect((await fetch(`${origin}/api/calls`, { headers: { authorization: 'Bearer not-the-token' } })).status).toBe(401);
    const evil = await fetch(`${origin}/api/numbers/${encodeURIComponent(SUPPORT)}/enabled`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, origin: 'http://evil.example', 'content-type': 'application/json' },
      body: JSON.stringify({ enabled: false, version: 1 }),
    });
    expect(evil.status).toBe(403);
    expect(((await evil.json()) as { error: string }).error).toContain('must come from the console');
    // A name rebound to 127.0.0.1 reaches nothing.
    const rebound = await statusOf(`${origin}/api/calls`, { headers: { authorization: `Bearer ${token}`, host: 'attacker.example' } });
    expect(rebound).toBe(403);

    // A page of another origin, in the same browser, tries the form-like write a browser sends without asking.
    const other: Server = createServer((_, res) => res.end('<!doctype html><title>elsewhere</title>'));
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
    const elsewhere = await browser.newPage();
    try {
      await elsewhere.goto(`http://127.0.0.1:${(other.address() as AddressInfo).port}/`);
      const sent = await elsewhere.evaluate(async (target) => {
        // Sent, as a browser sends such a request without asking; the console's answer is withheld from this page too.
        await fetch(target, { method: 'POST', mode: 'no-cors', headers: { 'content-type': 'text/plain' }, body: JSON.stringify({ enabled: false, version: 1 }) }).catch(() => undefined);
        try {
          const read = await fetch(target.replace('/enabled', ''));
          return `read ${read.status}`;
        } catch {
          return 'read refused';
        }
      }, `${origin}/api/numbers/${encodeURIComponent(SUPPORT)}/enabled`);
      expect(sent).toBe('read refused');
    } finally {
      await elsewhere.close();
      other.close();
    }
    const stored = await runCli(['numbers', 'get', SUPPORT, '--json', '--endpoint', endpoint]);
    expect(JSON.parse(stored.stdout).enabled).toBe(true);
  });

  it('lists the calls newest first with their cost, and filters them by outcome, engine and number from a shareable address', async () => {
    await page.goto(`${origin}/calls`);
    await expect(eventually(async () => (await rows().count()) === 4, 20000)).resolves.toBe(true);
    const started = await rows().locator('td:first-child').allTextContents();
    expect([...started].sort().reverse()).toEqual(started);
    const question = page.locator(`tr[data-call-id="${placed.question.callId}"]`);
    await expect(question.textContent()).resolves.toContain('completed');
    await expect(question.locator('td').nth(7).textContent()).resolves.toMatch(/^\$\d/);
    await page.screenshot({ path: join(SCREENSHOTS, 'calls.png') });

    await page.selectOption('select[name=outcome]', 'rejected');
    await page.click('button[type=submit]');
    await page.waitForURL(/outcome=rejected/);
    await eventually(async () => (await rows().count()) === 1, 20000);
    await expect(rows().first().textContent()).resolves.toContain('unknown-number');

    await page.goto(`${origin}/calls?engine=live`);
    await eventually(async () => (await rows().count()) === 1 && (await rows().first().getAttribute('data-call-id')) === placed.live.callId, 20000);
    await expect(rows().first().textContent()).resolves.toContain('GPT-Live');

    await page.goto(`${origin}/calls?number=${encodeURIComponent(SUPPORT)}&outcome=transferred`);
    await eventually(async () => (await rows().count()) === 1 && (await rows().first().getAttribute('data-call-id')) === placed.transfer.callId, 20000);
    await expect(page.inputValue('input[name=number]')).resolves.toBe(SUPPORT);

    await page.goto(`${origin}/calls?number=${encodeURIComponent('+17134810000')}`);
    await page.getByText('No call matches these filters').waitFor();
  });

  it('shows a call as a timeline: who said what, the transfer and whether it went through, the ending, cost, and exports it as JSON', async () => {
    await page.goto(`${origin}/calls/${placed.transfer.callId}`);
    const timeline = page.locator('ol.timeline');
    await timeline.getByText('Can I talk to someone in sales, please?').waitFor();
    await expect(timeline.locator('li.line.caller').first().textContent()).resolves.toContain('Caller');
    await expect(timeline.locator('li.action-transfer').textContent()).resolves.toMatch(/transfer went through.*targetsales.*uritel:\+17135550100/s);
    await expect(page.locator('dd.ending').textContent()).resolves.toContain('transferred');
    await expect(page.locator('dl.facts').textContent()).resolves.toMatch(/Cost\$\d/);
    await page.screenshot({ path: join(SCREENSHOTS, 'call.png'), fullPage: true });

    const [download] = await Promise.all([page.waitForEvent('download'), page.click('text=Export JSON')]);
    const exported = JSON.parse(await readFile(await download.path(), 'utf8')) as CallRecord;
    const shown = await runCli(['calls', 'show', placed.transfer.callId, '--json', '--endpoint', endpoint]);
    expect(exported).toEqual(JSON.parse(shown.stdout));
  });

  it("shows a live call's lines as they are stored, without a reload", async () => {
    const placing = call(SUPPORT, ['--from', '+14155550105']);
    await page.goto(`${origin}/calls`);
    const live = page.locator('tr.live').first();
    await live.waitFor({ timeout: 15000 });
    await page.evaluate(() => ((window as unknown as { notReloaded: boolean }).notReloaded = true));
    await live.locator('a').click();
    const lines = page.locator('ol.timeline li.line');
    const first = await eventually(async () => (await lines.count()) > 0 && (await lines.count()), 20000);
    await eventually(async () => (await lines.count()) > first, 20000);
    await page.locator('dd.ending').getByText('completed').waitFor({ timeout: 20000 });
    expect(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);
    const record = await placing;
    await expect(lines.count()).resolves.toBe(record.transcript.length);
  });

  it('shows a validation error on the line it belongs to, saves a valid change, and enables and disables', async () => {
    await page.goto(`${origin}/numbers`);
    await page.locator('table.numbers').getByText(SUPPORT).waitFor();
    await expect(page.locator('table.numbers tbody tr').count()).resolves.toBe(2);
    await page.screenshot({ path: join(SCREENSHOTS, 'numbers.png') });

    await page.click(`text=${SUPPORT}`);
    await page.waitForURL(`${origin}/numbers/${encodeURIComponent(SUPPORT)}`);
    const editor = page.locator('.cm-content');
    await editor.waitFor();
    await page.locator('.problems .valid').waitFor();
    const text = await page.evaluate(() => document.querySelector('.cm-content')!.textContent);
    expect(text).toContain('"label": "Support line"');

    const lines = await page.locator('.cm-line').allTextContents();
    const voiceLine = lines.findIndex((l) => l.includes('"voice"')) + 1;
    await page.locator('.cm-line').nth(voiceLine - 1).click();
    await page.keyboard.press('End');
    await page.keyboard.type(' "surprise": 1,');
    const problem = page.locator('.problems li.problem');
    await problem.first().waitFor();
    await expect(problem.first().getAttribute('data-line')).resolves.toBe(String(voiceLine));
    await expect(problem.first().textContent()).resolves.toContain('unknown field "surprise"');
    await expect(page.locator('.cm-line').nth(voiceLine - 1).locator('.cm-lintRange-error').count()).resolves.toBeGreaterThan(0);
    await page.screenshot({ path: join(SCREENSHOTS, 'number.png') });

    await page.click('button:has-text("Save")');
    await page.locator('.status-error').getByText('not a valid number config').waitFor();
    expect(JSON.parse((await runCli(['numbers', 'get', SUPPORT, '--json', '--endpoint', endpoint])).stdout)).not.toHaveProperty('surprise');

    await page.keyboard.press('Control+z');
    await page.locator('.cm-line').filter({ hasText: '"label": "Support line"' }).click();
    await page.keyboard.press('End');
    await page.keyboard.press('ArrowLeft');
    await page.keyboard.press('ArrowLeft');
    await page.keyboard.type(' (nights)');
    await page.locator('.problems .valid').waitFor();
    await page.click('button:has-text("Save")');
    await page.locator('.status-ok').getByText(`Saved ${SUPPORT}, version 2.`).waitFor();
    const stored = await runCli(['numbers', 'get', SUPPORT, '--json', '--endpoint', endpoint]);
    expect(JSON.parse(stored.stdout)).toMatchObject({ label: 'Support line (nights)', enabled: true });

    await page.click('button:has-text("Disable")');
    await page.locator('.status-ok').getByText(`Disabled ${SUPPORT}, version 3.`).waitFor();
    expect(JSON.parse((await runCli(['numbers', 'get', SUPPORT, '--json', '--endpoint', endpoint])).stdout).enabled).toBe(false);
    await page.click('button:has-text("Enable")');
    await page.locator('.status-ok').getByText(`Enabled ${SUPPORT}, version 4.`).waitFor();

    // Every write kept the version it replaced: version 1 goes back into the editor and is saved as version 5.
    const versions = page.locator('section.versions tbody tr');
    await versions.nth(3).waitFor();
    await expect(versions.allTextContents()).resolves.toEqual([
      expect.stringMatching(/^4 \(current\).*enabledSupport line \(nights\)$/),
      expect.stringMatching(/^3.*disabledSupport line \(nights\)Load version 3$/),
      expect.stringMatching(/^2.*enabledSupport line \(nights\)Load version 2$/),
      expect.stringMatching(/^1.*enabledSupport lineLoad version 1$/),
    ]);
    await page.click('section.versions button:has-text("Load version 1")');
    await page.locator('.status-ok').getByText('Version 1 is in the editor: Save stores it as version 5.').waitFor();
    await page.click('button:has-text("Save")');
    await page.locator('.status-ok').getByText(`Saved ${SUPPORT}, version 5.`).waitFor();
    expect(JSON.parse((await runCli(['numbers', 'get', SUPPORT, '--json', '--endpoint', endpoint])).stdout)).toMatchObject({ label: 'Support line', enabled: true });
  });

  it('refuses a save over an edit made meanwhile, and shows it instead of overwriting it', async () => {
    await page.goto(`${origin}/numbers/${encodeURIComponent(LIVE)}`);
    await page.locator('.problems .valid').waitFor();
    const edited = await runCli(['numbers', 'disable', LIVE, '--endpoint', endpoint]);
    expect(edited.stdout).toContain(`disabled ${LIVE}, version 2`);

    await page.locator('.cm-line').filter({ hasText: '"label": "Live line"' }).click();
    await page.keyboard.press('End');
    await page.keyboard.press('ArrowLeft');
    await page.keyboard.press('ArrowLeft');
    await page.keyboard.type(' B');
    await page.click('button:has-text("Save")');
    await page.locator('.status-conflict').getByText('changed since version 1 was read').waitFor();
    await page.getByText('Someone stored version 2 while you edited').waitFor();
    const stored = JSON.parse((await runCli(['numbers', 'get', LIVE, '--json', '--endpoint', endpoint])).stdout);
    expect(stored).toMatchObject({ label: 'Live line', enabled: false });
  });

  it('shows the overview: calls per day by outcome, durations, rejects by reason, decision latency and spend', async () => {
    await page.goto(`${origin}/overview`);
    await page.locator('.cards').waitFor();
    await expect(page.locator('.cards article').first().textContent()).resolves.toContain('5');
    await expect(page.locator('table.rejects').textContent()).resolves.toContain('unknown-number');
    await expect(page.locator('.cards').textContent()).resolves.toMatch(/Webhook decision\d+ ms/);
    await eventually(async () => page.evaluate(() => ((document.querySelector('.chart canvas') as HTMLCanvasElement | null)?.width ?? 0) > 0), 20000);
    await page.screenshot({ path: join(SCREENSHOTS, 'overview.png'), fullPage: true });
  });

  it('is usable with the keyboard alone, labels every control, and keeps text at 4.5:1 contrast or more', async () => {
    await page.goto(`${origin}/calls`);
    await rows().first().waitFor();
    // From the top of the page, Tab reaches a call's link, and Enter opens it.
    const focused = () => page.evaluate(() => document.activeElement?.getAttribute('href') ?? document.activeElement?.tagName.toLowerCase() ?? '');
    let href = '';
    for (let i = 0; i < 40 && !/^\/calls\/(rtc|live)_/.test(href); i++) {
      await page.keyboard.press('Tab');
      href = await focused();
    }
    expect(href).toMatch(/^\/calls\/(rtc|live)_/);
    await page.keyboard.press('Enter');
    await page.waitForURL(`${origin}${href}`);
    await page.locator('main h1').waitFor();

    for (const path of ['/calls', `/calls/${placed.question.callId}`, '/numbers', `/numbers/${encodeURIComponent(SUPPORT)}`, '/overview']) {
      await page.goto(`${origin}${path}`);
      await page.locator('main h1').waitFor();
      await page.waitForLoadState('networkidle');
      const problems = await page.evaluate(() => {
        const found: string[] = [];
        const describe = (el: Element) => `${el.tagName.toLowerCase()}${el.className ? `.${String(el.className).split(' ')[0]}` : ''} "${(el.textContent ?? '').trim().slice(0, 30)}"`;
        for (const el of Array.from(document.querySelectorAll('input, select, textarea, button'))) {
          const control = el as HTMLInputElement;
          const named = (control.labels?.length ?? 0) > 0 || control.getAttribute('aria-label') || control.getAttribute('aria-labelledby') || (el.tagName === 'BUTTON' && el.textContent?.trim());
          if (!named && control.type !== 'hidden') found.push(`no label: ${describe(el)}`);
        }
        // WCAG 2 relative luminance and contrast, against the first opaque background behind the text.
        const rgb = (color: string) => (color.match(/[\d.]+/g) ?? []).map(Number);
        const luminance = ([r, g, b]: number[]) => [r, g, b].map((c) => (c / 255 <= 0.03928 ? c / 255 / 12.92 : ((c / 255 + 0.055) / 1.055) ** 2.4)).reduce((sum, c, i) => sum + c * [0.2126, 0.7152, 0.0722][i], 0);
        const background = (el: Element | null): number[] => {
          for (let at = el; at; at = at.parentElement) {
            const [r, g, b, a = 1] = rgb(getComputedStyle(at).backgroundColor);
            if (a > 0.9) return [r, g, b];
          }
          return [255, 255, 255];
        };
        for (const el of Array.from(document.querySelectorAll('main *'))) {
          const text = Array.from(el.childNodes).some((n) => n.nodeType === Node.TEXT_NODE && n.textContent!.trim());
          const style = getComputedStyle(el);
          if (!text || style.visibility === 'hidden' || style.display === 'none' || (el as HTMLElement).closest('.cm-editor')) continue;
          const [fg, bg] = [luminance(rgb(style.color)), luminance(background(el))];
          const ratio = (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05);
          const large = parseFloat(style.fontSize) >= 24 || (parseFloat(style.fontSize) >= 18.66 && Number(style.fontWeight) >= 700);
          if (ratio < (large ? 3 : 4.5)) found.push(`contrast ${ratio.toFixed(2)}: ${describe(el)}`);
        }
        return found;
      });
      expect({ path, problems }).toEqual({ path, problems: [] });
    }
  });

  it('is usable at 360 px wide: no page wider than the screen', async () => {
    // The same browser profile as the operator's tab: it holds the console's key.
    const narrow = await page.context().newPage();
    await narrow.setViewportSize({ width: 360, height: 740 });
    try {
      for (const path of ['/calls', `/calls/${placed.question.callId}`, '/numbers', `/numbers/${encodeURIComponent(SUPPORT)}`, '/overview']) {
        await narrow.goto(`${origin}${path}`);
        await narrow.locator('main h1').waitFor();
        await narrow.waitForLoadState('networkidle');
        expect({ path, width: await narrow.evaluate(() => document.documentElement.scrollWidth) }).toEqual({ path, width: 360 });
      }
      await narrow.goto(`${origin}/calls`);
      await narrow.locator('table.calls').waitFor();
      await narrow.screenshot({ path: join(SCREENSHOTS, 'calls-narrow.png') });
    } finally {
      await narrow.close();
    }
  });
});
