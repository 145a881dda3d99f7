import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDynamoDBClient } from '../../core/store/dynamodb-client';
import { LOCAL_TABLE_NAMES } from '../../core/store/tables';
import { ensureTables, startLocalDynamoDB, type LocalDynamoDB } from '../../local/dynamodb';
import { runCli, ROOT } from '../support/cli';

const EXAMPLE = join(ROOT, 'examples/support-line.json');

/** What a user does with a config file, run as a user would: the CLI in a child process, the tables in dynalite. */
describe('switchboard numbers validate / put with config files', () => {
  let dynamodb: LocalDynamoDB;
  let dir: string;
  const cli = (...args: string[]) => runCli(args);
  const data = () => ['--endpoint', dynamodb.endpoint];
  const file = async (name: string, text: string) => {
    const path = join(dir, name);
    await writeFile(path, text);
    return path;
  };
  const example = async () => JSON.parse(await readFile(EXAMPLE, 'utf8'));

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'switchboard-numbers-'));
    dynamodb = await startLocalDynamoDB();
    await ensureTables(createDynamoDBClient({ endpoint: dynamodb.endpoint }), LOCAL_TABLE_NAMES);
  });

  afterAll(async () => {
    await dynamodb.close();
    await rm(dir, { recursive: true, force: true });
  });

  describe('instructions too long to store', () => {
    it('are refused by validate and put, naming the field and the limit, and nothing is stored', async () => {
      const doc = await example();
      const huge = await file('huge.json', JSON.stringify({ ...doc, agent: { ...doc.agent, instructions: 'Be helpful. '.repeat(41_667) } }));

      const validate = await cli('numbers', 'validate', '--file', huge);
      expect(validate.code).toBe(2);
      expect(validate.stdout).toContain('  - agent.instructions: instructions are 500,004 characters long; at most 65,536 are allowed');

      const put = await cli('numbers', 'put', '+17134810131', '--file', huge, ...data());
      expect(put.code).toBe(2);
      expect(put.stderr).toContain('is not a valid number config; nothing was stored');
      expect(put.stderr).toContain('  - agent.instructions: instructions are 500,004 characters long');
      expect(put.stderr).not.toContain('Item size');
      expect((await cli('numbers', 'get', '+17134810131', ...data())).code).toBe(3);
    });

    it('stores a config with every free-text field at its limit, in characters that take 3 bytes each', async () => {
      const doc = await example();
      const wide = (n: number) => '語'.repeat(n);
      const full = await file('full.json', JSON.stringify({
        ...doc,
        label: wide(100),
        agent: { ...doc.agent, instructions: wide(65_536), greeting: wide(1_000) },
        transfers: Array.from({ length: 20 }, (_, i) => ({ name: `desk-${i}`, description: wide(500), target: `sip:${'d'.repeat(240)}@pbx.example.com` })),
        callers: { block: Array.from({ length: 1_000 }, (_, i) => `+1415${2_000_000 + i}`) },
      }));
      const put = await cli('numbers', 'put', '+17134810132', '--file', full, ...data());
      expect(put).toMatchObject({ code: 0, stdout: 'stored +17134810132 (' + wide(100) + '), version 1\n' });
    });
  });

  describe('.json files', () => {
    it('are read as JSON: a trailing comma is refused with its line and column', async () => {
      const trailing = await file('trailing.json', '{\n  "number": "+17134810111",\n  "enabled": false,\n}\n');
      const result = await cli('numbers', 'validate', '--file', trailing);
      expect(result.code).toBe(2);
      expect(result.stderr).toBe(`error: ${trailing} is not valid JSON: Expected double-quoted property name at line 4, column 1\n`);
    });

    it('that end early say where', async () => {
      const cut = await file('cut.json', '{\n  "number": "+17134810111",\n  "enabled": false\n');
      const result = await cli('numbers', 'validate', '--file', cut);
      expect(result).toMatchObject({ code: 2, stderr: `error: ${cut} is not valid JSON: Expected ',' or '}' after property value at line 4, column 1\n` });
    });
  });

  describe('phone numbers written without quotes in YAML', () => {
    it('are refused with the fix: quote them', async () => {
      const unquoted = await file('unquoted.yaml', 'number: +17134810111\nenabled: false\ncallers:\n  block:\n    - +14155550199\n');
      const result = await cli('numbers', 'validate', '--file', unquoted);
      expect(result.code).toBe(2);
      expect(result.stdout).toContain('  - number: number 17134810111 was read as a number, not text: put it in quotes, e.g. "+17134810111"');
      expect(result.stdout).toContain('  - callers.block[0]: blocked caller 14155550199 was read as a number, not text: put it in quotes, e.g. "+14155550199"');
    });

    it('are fine quoted', async () => {
      const quoted = await file('quoted.yaml', 'number: "+17134810111"\nenabled: false\n');
      expect(await cli('numbers', 'validate', '--file', quoted)).toMatchObject({ code: 0, stdout: `${quoted}: valid config for +17134810111\n` });
    });
  });

  describe('put <number> with a file that names another number', () => {
    it('says that the argument wins, and stores under the argument', async () => {
      const put = await cli('numbers', 'put', '+17134810133', '--file', EXAMPLE, ...data());
      expect(put).toMatchObject({ code: 0, stdout: 'stored +17134810133 (Support line), version 1\n' });
      expect(put.stderr).toBe(`note: ${EXAMPLE} names +17134810111; the config is stored under +17134810133, the number on the command line\n`);
      expect((await cli('numbers', 'get', '+17134810111', ...data())).code).toBe(3);
    });

    it('says nothing when both name the same number, however written', async () => {
      const put = await cli('numbers', 'put', '17134810111', '--file', EXAMPLE, ...data());
      expect(put).toMatchObject({ code: 0, stderr: '' });
    });
  });
});
