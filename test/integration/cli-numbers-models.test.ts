import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseNumberConfig } from '../../core/numbers/config';
import { createDocumentClient, createDynamoDBClient } from '../../core/store/dynamodb-client';
import { NumbersStore } from '../../core/store/numbers-store';
import { LOCAL_TABLE_NAMES } from '../../core/store/tables';
import { ensureTables, startLocalDynamoDB, type LocalDynamoDB } from '../../local/dynamodb';
import { runCli, ROOT } from '../support/cli';

const EXAMPLE = join(ROOT, 'examples/support-line.json');

/**
 * OpenAI's model lifecycle as the user meets it: warnings that let the command go on, refusals
 * with the replacement named, and `status` naming the numbers to move. The days are given
 * (`--on`) or the models' shutdowns are past, so the outcomes do not change with the clock.
 */
describe('switchboard numbers and status against OpenAI\'s model table', () => {
  let dynamodb: LocalDynamoDB;
  let dir: string;
  let doc: Record<string, Record<string, unknown>>;
  const cli = (...args: string[]) => runCli(args);
  const data = () => ['--endpoint', dynamodb.endpoint];
  const configFile = async (name: string, agent: Record<string, unknown>) => {
    const path = join(dir, name);
    await writeFile(path, JSON.stringify({ ...doc, agent: { ...doc.agent, ...agent } }));
    return path;
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'switchboard-models-'));
    doc = JSON.parse(await readFile(EXAMPLE, 'utf8'));
    dynamodb = await startLocalDynamoDB();
    await ensureTables(createDynamoDBClient({ endpoint: dynamodb.endpoint }), LOCAL_TABLE_NAMES);
  });

  afterAll(async () => {
    await dynamodb.close();
    await rm(dir, { recursive: true, force: true });
  });

  describe('numbers validate', () => {
    it('warns about a deprecated model with its shutdown day and replacement, and passes the file', async () => {
      const old = await configFile('old.json', { transcription: { model: 'gpt-4o-mini-transcribe' } });
      const result = await cli('numbers', 'validate', '--file', old, '--on', '2026-12-01');
      expect(result).toMatchObject({ code: 0, stdout: `${old}: valid config for +17134810111 (Support line)\n` });
      expect(result.stderr).toBe(
        `warning: agent.transcription.model: "gpt-4o-mini-transcribe" is deprecated (OpenAI's notice of 2026-08-26) and stops working on 2027-02-26: use "gpt-live-transcribe"\n`,
      );
    });

    it('refuses it from its shutdown day, naming the replacement', async () => {
      const old = await configFile('old.json', { transcription: { model: 'gpt-4o-mini-transcribe' } });
      const result = await cli('numbers', 'validate', '--file', old, '--on', '2027-03-01');
      expect(result.code).toBe(2);
      expect(result.stdout).toBe(
        `${old}: 1 problem on 2027-03-01\n  - agent.transcription.model: "gpt-4o-mini-transcribe" was shut down by OpenAI on 2027-02-26, so calls would fail: use "gpt-live-transcribe"\n`,
      );
      expect(result.stderr).toBe(`error: ${old} would fail every call on 2027-03-01\n`);
    });

    it('warns about a model or voice it does not list, naming the listed ones, and passes the file', async () => {
      const newer = await configFile('newer.json', { model: 'gpt-realtime-3', voice: 'juniper' });
      const result = await cli('numbers', 'validate', '--file', newer, '--json');
      expect(result.code).toBe(0);
      expect(result.stderr).toContain('warning: agent.model: "gpt-realtime-3" is not a realtime (speech-to-speech) model Switchboard knows ("gpt-realtime-2.1", "gpt-realtime-2.1-mini", "gpt-realtime-2", "gpt-realtime-1.5"); it is sent to OpenAI as written');
      expect(result.stderr).toContain('warning: agent.voice: "juniper" is not one of OpenAI\'s voices for Realtime calls ("alloy", "ash", "ballad", "coral", "echo", "sage", "shimmer", "verse", "marin", "cedar")');
      expect(JSON.parse(result.stdout)).toMatchObject({ valid: true, config: { agent: { model: 'gpt-realtime-3' } }, warnings: [{ path: 'agent.model' }, { path: 'agent.voice' }] });
    });

    it('says nothing about the example, which uses current models', async () => {
      expect(await cli('numbers', 'validate', '--file', EXAMPLE, '--on', '2027-03-01')).toMatchObject({ code: 0, stderr: '' });
    });

    it('refuses a day it cannot read', async () => {
      expect(await cli('numbers', 'validate', '--file', EXAMPLE, '--on', '2027-02-30')).toMatchObject({ code: 2, stderr: 'error: --on "2027-02-30" is not a day: use e.g. 2027-03-01\n' });
    });
  });

  describe('numbers put', () => {
    it('refuses a model OpenAI has shut down, naming the replacement, and stores nothing', async () => {
      const gone = await configFile('gone.json', { model: 'gpt-realtime-mini-2025-10-06' });
      const result = await cli('numbers', 'put', '+17134810111', '--file', gone, ...data());
      expect(result).toMatchObject({
        code: 2,
        stdout: '',
        stderr: `error: ${gone} would fail every call; nothing was stored:\n  - agent.model: "gpt-realtime-mini-2025-10-06" was shut down by OpenAI on 2026-07-23, so calls would fail: use "gpt-realtime-2.1-mini"\n`,
      });
      expect((await cli('numbers', 'get', '+17134810111', ...data())).code).toBe(3);
    });

    it('stores a model it does not list, with a warning', async () => {
      const newer = await configFile('newer.json', { model: 'gpt-realtime-3' });
      const result = await cli('numbers', 'put', '+17134810111', '--file', newer, ...data());
      expect(result).toMatchObject({ code: 0, stdout: 'stored +17134810111 (Support line), version 1\n' });
      expect(result.stderr).toMatch(/^warning: agent\.model: "gpt-realtime-3" is not a realtime \(speech-to-speech\) model Switchboard knows/);
    });
  });

  describe('status', () => {
    it('lists the numbers whose configs use a model OpenAI is retiring, with the day and the replacement', async () => {
      // Stored before the shutdowns (a put would refuse the first one now).
      const numbers = new NumbersStore(createDocumentClient({ endpoint: dynamodb.endpoint }), LOCAL_TABLE_NAMES.numbers);
      await numbers.put(parseNumberConfig({ ...doc, number: '+17134810141', agent: { ...doc.agent, model: 'gpt-realtime-mini-2025-10-06' } }));
      await numbers.put(parseNumberConfig({ ...doc, number: '+17134810142', agent: { ...doc.agent, transcription: { model: 'gpt-4o-mini-transcribe' } } }));
      await numbers.put(parseNumberConfig({ ...doc, number: '+17134810143' }));

      const result = await cli('status', ...data());
      expect(result.code).toBe(0);
      const lines = result.stdout.split('\n');
      const at = lines.findIndex((l) => l.startsWith('  models'));
      expect(lines[at]).toBe('  models        2 numbers use a model OpenAI is retiring (switchboard numbers get <number> --out <file>, change the model, numbers put):');
      expect(lines[at + 1]).toBe('                +17134810141  agent.model "gpt-realtime-mini-2025-10-06" SHUT DOWN on 2026-07-23: calls fail; use "gpt-realtime-2.1-mini"');
      // Deprecated today, shut down from 2027-02-26: the day and the replacement are what the user needs either way.
      expect(lines[at + 2]).toMatch(/^ {16}\+17134810142 {2}agent\.transcription\.model "gpt-4o-mini-transcribe" (stops working|SHUT DOWN) on 2027-02-26(: calls fail)?; use "gpt-live-transcribe"$/);
      expect(result.stdout).not.toContain('+17134810143');

      const asJson = JSON.parse((await cli('status', '--json', ...data())).stdout);
      expect(asJson.retiringModels).toEqual([
        { number: '+17134810141', path: 'agent.model', model: 'gpt-realtime-mini-2025-10-06', shutdown: '2026-07-23', shutDown: true, replacement: 'gpt-realtime-2.1-mini' },
        expect.objectContaining({ number: '+17134810142', path: 'agent.transcription.model', model: 'gpt-4o-mini-transcribe', shutdown: '2027-02-26', replacement: 'gpt-live-transcribe' }),
      ]);
    });
  });
});
