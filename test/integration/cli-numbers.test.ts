import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { MAX_TOOLS, MAX_TOOLS_JSON_BYTES, parseNumberConfig } from '../../core/numbers/config';
import { createDocumentClient, createDynamoDBClient } from '../../core/store/dynamodb-client';
import { NumbersStore } from '../../core/store/numbers-store';
import { LOCAL_TABLE_NAMES } from '../../core/store/tables';
import { ensureTables, startLocalDynamoDB, type LocalDynamoDB } from '../../local/dynamodb';
import { runCli, ROOT } from '../support/cli';

const EXAMPLE = join(ROOT, 'examples/support-line.json');
const ORDER_LINE = join(ROOT, 'examples/order-line.json');

// dynalite ships no types.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { itemSize, MAX_SIZE } = require('dynalite/db') as { itemSize: (item: Record<string, AttributeValue>) => number; MAX_SIZE: number };

/**
 * An item's size as DynamoDB counts it: dynalite's formulas (taken from DynamoDB's answers), with
 * text and names in UTF-8 bytes. dynalite's own check counts them in JavaScript characters, so a
 * character of 3 UTF-8 bytes counts once there, and a put it takes could be too large for DynamoDB.
 */
function dynamoDbItemBytes(item: Record<string, unknown>): number {
  const utf8 = (text: string) => Buffer.from(text, 'utf8').toString('latin1');
  const inBytes = (value: AttributeValue): AttributeValue => {
    if (value.S !== undefined) return { S: utf8(value.S) };
    if (value.L) return { L: value.L.map(inBytes) };
    if (value.M) return { M: inBytesAll(value.M) };
    return value;
  };
  const inBytesAll = (map: Record<string, AttributeValue>) => Object.fromEntries(Object.entries(map).map(([name, value]) => [utf8(name), inBytes(value)]));
  return itemSize(inBytesAll(marshall(item, { removeUndefinedValues: true })));
}

/**
 * MAX_TOOLS tools of MAX_TOOLS_JSON_BYTES together, every field written out (so what is stored is
 * these bytes), the room left filled with empty lists in the parameters' `examples`: of all JSON,
 * what takes DynamoDB the most bytes for its size (4 bytes for the 3 of `[],`).
 */
function largestTools(wide: (n: number) => string): Record<string, unknown>[] {
  const tools = Array.from({ length: MAX_TOOLS }, (_, i) => ({
    name: `tool_${i}_`.padEnd(64, 'x'),
    description: wide(300),
    parameters: { type: 'object', properties: { order: { type: 'string', description: '' } }, examples: [] as unknown[] },
    url: `https://${'h'.repeat(63)}.example.com/voice/orders`,
    headers: { Authorization: 'Bearer {{secret:orders-api}}', 'X-Line': '\u00e9'.repeat(20) },
    timeoutMs: 10_000,
    whileWaiting: wide(100),
    whileWaitingAfterMs: 9_999,
    redact: ['cardNumber', wide(40)],
    record: 'full',
    allowPrivateNetwork: true,
  }));
  const bytes = () => Buffer.byteLength(JSON.stringify(tools));
  for (let i = 0; bytes() + 3 <= MAX_TOOLS_JSON_BYTES; i = (i + 1) % MAX_TOOLS) tools[i].parameters.examples.push([]);
  tools[0].parameters.properties.order.description = 'd'.repeat(MAX_TOOLS_JSON_BYTES - bytes());
  return tools;
}

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
  /** `validate` and `put` both exit 2 listing `problem`, and `put` stores nothing; returns what `put` said. */
  const refusedByValidateAndPut = async (path: string, number: string, problem: string) => {
    const validate = await cli('numbers', 'validate', '--file', path);
    expect(validate.code).toBe(2);
    expect(validate.stdout).toContain(problem);
    const put = await cli('numbers', 'put', number, '--file', path, ...data());
    expect(put.code).toBe(2);
    expect(put.stderr).toContain('is not a valid number config; nothing was stored');
    expect(put.stderr).toContain(problem);
    expect((await cli('numbers', 'get', number, ...data())).code).toBe(3);
    return put;
  };

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
      const put = await refusedByValidateAndPut(huge, '+17134810131', '  - agent.instructions: instructions are 500,004 characters long; at most 65,536 are allowed');
      expect(put.stderr).not.toContain('Item size');
    });

    it('stores a config with every field at its limit, text in characters that take 3 bytes each, and the most tools, as large as they may be together', async () => {
      const doc = await example();
      const wide = (n: number) => '語'.repeat(n);
      const largest = {
        ...doc,
        label: wide(100),
        agent: { ...doc.agent, instructions: wide(65_536), greeting: wide(1_000) },
        transfers: Array.from({ length: 20 }, (_, i) => ({ name: `desk-${i}`, description: wide(500), target: `sip:${'d'.repeat(240)}@pbx.example.com` })),
        tools: largestTools(wide),
        callers: { block: Array.from({ length: 1_000 }, (_, i) => `+1415${2_000_000 + i}`) },
      };
      const config = parseNumberConfig({ ...largest, number: '+17134810132' });
      expect(Buffer.byteLength(JSON.stringify(config.tools))).toBe(MAX_TOOLS_JSON_BYTES);
      // The item as the store writes it, counted as DynamoDB counts it.
      expect(dynamoDbItemBytes({ number: config.number, config, version: 1, updatedAt: new Date().toISOString() })).toBeLessThanOrEqual(MAX_SIZE);

      const put = await cli('numbers', 'put', '+17134810132', '--file', await file('largest.json', JSON.stringify(largest)), ...data());
      expect(put).toMatchObject({ code: 0, stdout: 'stored +17134810132 (' + wide(100) + '), version 1\n' });
      // Read from the table, not from `get`'s output: the test's child-process reader may split a character between chunks.
      const stored = await new NumbersStore(createDocumentClient({ endpoint: dynamodb.endpoint }), LOCAL_TABLE_NAMES.numbers).get('+17134810132');
      expect(stored?.config.tools).toEqual(config.tools);
    });
  });

  describe('tools', () => {
    it('with parameters that are not a JSON Schema are refused by validate and put, naming the place in the schema, and nothing is stored', async () => {
      const doc = JSON.parse(await readFile(ORDER_LINE, 'utf8'));
      doc.tools[0].parameters.properties.order.type = 'strin';
      const bad = await file('bad-schema.json', JSON.stringify(doc));
      await refusedByValidateAndPut(bad, '+17134810135', '  - tools[0].parameters.properties.order.type: must be equal to one of the allowed values: array, boolean, integer, null, number, object, string\n');
    });

    it('as the example has them are stored as written, with their secret references', async () => {
      const put = await cli('numbers', 'put', '+17134810136', '--file', ORDER_LINE, ...data());
      expect(put).toMatchObject({ code: 0, stdout: 'stored +17134810136 (Order line), version 1\n' });
      const got = JSON.parse((await cli('numbers', 'get', '+17134810136', '--json', ...data())).stdout);
      expect(got.tools).toEqual(JSON.parse(await readFile(ORDER_LINE, 'utf8')).tools);
      const human = await cli('numbers', 'get', '+17134810136', ...data());
      expect(human.stdout).toMatch(/^  tools {7}lookup_order -> https:\/\/\S+$/m);
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

  describe('versions', () => {
    const NUMBER = '+17134810177';
    it('keeps every version a write replaced, lists them newest first, and gets one back to put again', async () => {
      const doc = { ...(await example()), number: NUMBER };
      for (const label of ['First', 'Second']) expect((await cli('numbers', 'put', NUMBER, '--file', await file(`${label}.json`, JSON.stringify({ ...doc, label })), ...data())).code).toBe(0);
      expect((await cli('numbers', 'disable', NUMBER, ...data())).stdout).toBe(`disabled ${NUMBER}, version 3\n`);

      const listed = await cli('numbers', 'versions', NUMBER, ...data());
      expect(listed.code).toBe(0);
      expect(listed.stdout.split('\n').slice(0, 4).map((line) => line.replace(/\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\s+/, ' | '))).toEqual([
        'VERSION      UPDATED              STATUS    LABEL',
        '3 (current) | disabled  Second',
        '2 | enabled   Second',
        '1 | enabled   First',
      ]);
      const versions = JSON.parse((await cli('numbers', 'versions', NUMBER, '--json', ...data())).stdout) as { version: number; label: string; enabled: boolean }[];
      expect(versions.map((v) => [v.version, v.label, v.enabled])).toEqual([[3, 'Second', false], [2, 'Second', true], [1, 'First', true]]);

      // Going back: version 1, written out, put again, becomes version 4.
      const out = join(dir, 'back.json');
      expect((await cli('numbers', 'get', NUMBER, '--at-version', '1', '--out', out, ...data())).code).toBe(0);
      expect(await cli('numbers', 'put', NUMBER, '--file', out, ...data())).toMatchObject({ code: 0, stdout: `stored ${NUMBER} (First), version 4\n` });
      expect((await cli('numbers', 'list', '--json', ...data())).stdout).not.toContain('#v');
      expect(await cli('numbers', 'get', NUMBER, '--at-version', '9', ...data())).toMatchObject({ code: 3, stderr: expect.stringContaining(`number ${NUMBER} has no version 9 kept`) });
      expect(await cli('numbers', 'get', NUMBER, '--at-version', 'two', ...data())).toMatchObject({ code: 2, stderr: expect.stringContaining('--at-version must be a version number') });

      // Deleted, then added again: it starts at version 1 with none of the old versions.
      expect((await cli('numbers', 'delete', NUMBER, ...data())).code).toBe(0);
      expect((await cli('numbers', 'put', NUMBER, '--file', await file('again.json', JSON.stringify({ ...doc, label: 'Again' })), ...data())).code).toBe(0);
      const again = JSON.parse((await cli('numbers', 'versions', NUMBER, '--json', ...data())).stdout) as { version: number; label: string }[];
      expect(again.map((v) => [v.version, v.label])).toEqual([[1, 'Again']]);
    });
  });
});
