import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import { parse as parseYaml } from 'yaml';
import { OUTPUTS } from '../../core/runtime/contract';
import { createDynamoDBClient } from '../../core/store/dynamodb-client';
import { ensureTables, startLocalDynamoDB, type LocalDynamoDB } from '../../local/dynamodb';
import { startAwsStubs, type AwsStubs } from '../support/aws-stubs';
import { runCli, startCli, ROOT } from '../support/cli';
import { callHistory, type PastCall } from '../support/cli-history';

const EXAMPLE = join(ROOT, 'examples/support-line.json');
const TABLES = { numbers: 'Switchboard-dev-Data-NumbersTable1A2B', calls: 'Switchboard-dev-Data-CallsTable3C4D', entries: 'Switchboard-dev-Data-CallEntriesTable5E6F' };
const API_KEY_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:switchboard-openai-api-key-AbCdEf';
const WEBHOOK_SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:switchboard-webhook-secret-GhIjKl';
const WHSEC = 'whsec_' + Buffer.from('a-real-looking-webhook-signing-key-32b').toString('base64');

describe('the operator CLI against a deployed stack (stack outputs from a CloudFormation stand-in, tables in dynalite)', () => {
  let dynamodb: LocalDynamoDB;
  let aws: AwsStubs;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let history: ReturnType<typeof callHistory>;
  const cli = (args: string[], input?: string) => runCli(args, { env, input });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'switchboard-operator-'));
    dynamodb = await startLocalDynamoDB();
    await ensureTables(createDynamoDBClient({ endpoint: dynamodb.endpoint }), TABLES);
    aws = await startAwsStubs();
    aws.stacks.push(
      { name: 'Switchboard-dev-Data', outputs: {} },
      {
        name: 'Switchboard-dev-Calls',
        outputs: {
          [OUTPUTS.webhookUrl]: 'https://abc123.execute-api.us-east-1.amazonaws.com/webhook',
          [OUTPUTS.sipUri]: 'proj_XnGzQBp38qGPqjV5GaYVXVGY@sip.api.openai.com;transport=tls',
          [OUTPUTS.numbersTable]: TABLES.numbers,
          [OUTPUTS.callsTable]: TABLES.calls,
          [OUTPUTS.callEntriesTable]: TABLES.entries,
          [OUTPUTS.callQueueUrl]: 'https://sqs.us-east-1.amazonaws.com/123456789012/calls',
          [OUTPUTS.openAiApiKeySecretArn]: API_KEY_ARN,
          [OUTPUTS.webhookSecretArn]: WEBHOOK_SECRET_ARN,
          [OUTPUTS.clusterName]: 'Switchboard-dev-Calls-Cluster',
          [OUTPUTS.serviceName]: 'Switchboard-dev-Calls-Workers',
          [OUTPUTS.monthlyBudgetUsd]: '50',
        },
      },
    );
    aws.secrets.set(API_KEY_ARN, undefined);
    aws.secrets.set(WEBHOOK_SECRET_ARN, undefined);
    aws.services.set('Switchboard-dev-Calls-Workers', { runningCount: 2, desiredCount: 2 });
    env = { ...aws.env, AWS_ENDPOINT_URL_DYNAMODB: dynamodb.endpoint };
    history = callHistory(dynamodb.endpoint, TABLES);
    await seedCalls();
  });

  afterAll(async () => {
    await aws.close();
    await dynamodb.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function seedCalls(): Promise<void> {
    const now = Date.now();
    const at = (minutesAgo: number, plusSeconds = 0) => new Date(now - minutesAgo * 60_000 + plusSeconds * 1000).toISOString();
    const calls: PastCall[] = [
      { callId: 'rtc_done', number: '+17134810111', caller: '+14067704205', startedAt: at(30), endedAt: at(30, 42), durationSeconds: 42, outcome: 'completed', reason: 'caller-hung-up',
        transcript: [
          { role: 'agent', text: 'Thanks for calling Wavix support, this is Alex.', at: at(30, 1), id: 'item_a1' },
          { role: 'caller', text: 'Hi, what time do you open, tomorrow?', at: at(30, 5), id: 'item_c1' },
          { role: 'agent', text: 'We open at "nine".', at: at(30, 9), id: 'item_a2' },
        ],
        actions: [{ type: 'greeting', at: at(30, 0.5) }, { type: 'dtmf', key: '5', at: at(30, 7) }],
        usage: { inputTokens: 1200, outputTokens: 300, totalTokens: 1500 } },
      { callId: 'rtc_moved', number: '+17134810111', caller: '+14155550123', startedAt: at(20), endedAt: at(20, 30), durationSeconds: 30, outcome: 'transferred', transferTarget: 'tel:+17135550100', actions: [{ type: 'transfer', target: 'sales', uri: 'tel:+17135550100', at: at(20, 20) }] },
      { callId: 'rtc_blocked', number: '+17134810111', caller: '+14155550199', startedAt: at(10), outcome: 'rejected', reason: 'caller-blocked', rejectStatus: 603 },
      { callId: 'rtc_other', number: '+17134810122', caller: 'anonymous', startedAt: at(3 * 24 * 60), outcome: 'rejected', reason: 'unknown-number', rejectStatus: 404 },
      { callId: 'rtc_live', number: '+17134810111', caller: '+14155550177', startedAt: at(1), outcome: 'active' },
    ];
    for (const call of calls) await history.add(call);
  }

  describe('finding the stack', () => {
    it('reads the tables from the stack outputs (by stack name or by stage)', async () => {
      expect((await cli(['numbers', 'put', '+17134810111', '--file', EXAMPLE, '--stack', 'Switchboard-dev-Calls'])).stdout).toBe('stored +17134810111 (Support line), version 1\n');
      const list = await cli(['numbers', 'list', '--json', '--stack', 'dev']);
      expect(JSON.parse(list.stdout)).toEqual([expect.objectContaining({ number: '+17134810111', version: 1 })]);
    });

    it('lists the Switchboard stacks it finds when neither --stack nor --endpoint is given', async () => {
      const result = await runCli(['calls', 'list'], { env: aws.env });
      expect(result).toMatchObject({ code: 2 });
      expect(result.stderr).toMatch(/say which Switchboard to use: --stack <name> \(found: Switchboard-dev-Calls(, Switchboard-old-Calls)?\), or --endpoint <url>/);
    });

    it('says when the stack is not in this region', async () => {
      const result = await cli(['numbers', 'list', '--stack', 'Switchboard-prod-Calls']);
      expect(result.code).toBe(1);
      expect(result.stderr).toBe('error: stack Switchboard-prod-Calls not found in region us-east-1: check the name (`switchboard status` lists them) or set AWS_REGION\n');
    });

    it('names the permission that is missing', async () => {
      aws.denyNext('DescribeStacks', 'cloudformation:DescribeStacks');
      const result = await cli(['numbers', 'list', '--stack', 'dev']);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/^error: access denied: your AWS identity lacks permission cloudformation:DescribeStacks on arn:aws:cloudformation/);
    });

    it('says when there are no credentials', async () => {
      const result = await runCli(['numbers', 'list', '--stack', 'dev'], {
        env: { ...aws.env, AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', AWS_PROFILE: '', AWS_SHARED_CREDENTIALS_FILE: join(dir, 'none'), AWS_CONFIG_FILE: join(dir, 'none'), AWS_EC2_METADATA_DISABLED: 'true', AWS_CONTAINER_CREDENTIALS_FULL_URI: '', AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: '' },
      });
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/^error: no AWS credentials found: set AWS_PROFILE/);
    });

    it('says when the stack names tables that are not Switchboard\'s', async () => {
      await createDynamoDBClient({ endpoint: dynamodb.endpoint }).send(
        new CreateTableCommand({ TableName: 'SomeoneElsesTable', BillingMode: 'PAY_PER_REQUEST', AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }], KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }] }),
      );
      aws.stacks.push({ name: 'Switchboard-old-Calls', outputs: { [OUTPUTS.numbersTable]: 'GoneNumbersTable', [OUTPUTS.callsTable]: 'SomeoneElsesTable', [OUTPUTS.callEntriesTable]: 'GoneCallEntriesTable' } });
      const missing = await cli(['numbers', 'list', '--stack', 'old']);
      expect(missing.code).toBe(1);
      expect(missing.stderr).toMatch(/^error: .*the table does not exist here; is this the right stack and region\?\n$/);
      const foreign = await cli(['calls', 'list', '--stack', 'old']);
      expect(foreign.code).toBe(1);
      expect(foreign.stderr).toMatch(/^error: .*this table is not a Switchboard calls table \(it lacks Switchboard's indexes\)\n$/);
    });

    it('refuses a stack that is not a Switchboard call stack', async () => {
      const result = await cli(['numbers', 'list', '--stack', 'Switchboard-dev-Data']);
      expect(result).toMatchObject({ code: 2, stderr: 'error: stack Switchboard-dev-Data is not a Switchboard call stack (it has no CallsTableName output)\n' });
    });

    it('says how to update a stack deployed before call entries', async () => {
      const { [OUTPUTS.callEntriesTable]: _, ...outputs } = aws.stacks.find((s) => s.name === 'Switchboard-dev-Calls')!.outputs;
      aws.stacks.push({ name: 'Switchboard-early-Calls', outputs });
      const result = await cli(['calls', 'list', '--stack', 'early']);
      expect(result).toMatchObject({ code: 2, stderr: 'error: stack Switchboard-early-Calls predates call entries (it has no CallEntriesTableName output): update it with `npx cdk deploy --all -c stage=early` and the other -c values it was deployed with\n' });
    });
  });

  describe('secrets', () => {
    it('stores the webhook secret read from stdin, and never prints it', async () => {
      const result = await cli(['secrets', 'set', 'webhook-secret', '--stack', 'dev'], WHSEC + '\n');
      expect(result.code).toBe(0);
      expect(result.stdout).toBe(`stored the webhook signing secret in ${WEBHOOK_SECRET_ARN}\n`);
      expect(result.stdout + result.stderr).not.toContain(WHSEC);
      expect(aws.secrets.get(WEBHOOK_SECRET_ARN)).toBe(WHSEC);
    });

    it.each([
      ['webhook-secret', 'whsec_not base64!', 'does not look like an OpenAI webhook signing secret'],
      ['webhook-secret', 'MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'does not look like an OpenAI webhook signing secret'],
      ['openai-api-key', 'my key', 'does not look like an OpenAI API key'],
    ])('refuses a %s of the wrong shape without storing or echoing it', async (name, value, message) => {
      const before = aws.requests.filter((r) => r.action === 'PutSecretValue').length;
      const result = await cli(['secrets', 'set', name, '--stack', 'dev'], value);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(message);
      expect(result.stdout + result.stderr).not.toContain(value);
      expect(aws.requests.filter((r) => r.action === 'PutSecretValue').length).toBe(before);
    });

    it('refuses an unknown secret name', async () => {
      expect((await cli(['secrets', 'set', 'password', '--stack', 'dev'], 'x')).code).toBe(2);
    });
  });

  describe('status', () => {
    it('prints what a newcomer needs', async () => {
      aws.secrets.set(WEBHOOK_SECRET_ARN, WHSEC);
      aws.secrets.set(API_KEY_ARN, undefined);
      const result = await cli(['status', '--stack', 'dev']);
      expect(result.code).toBe(0);
      expect(result.stdout).toContain('webhook URL   https://abc123.execute-api.us-east-1.amazonaws.com/webhook');
      expect(result.stdout).toContain('SIP URI       proj_XnGzQBp38qGPqjV5GaYVXVGY@sip.api.openai.com;transport=tls');
      expect(result.stdout).toContain('API key       NOT SET (switchboard secrets set openai-api-key --stack Switchboard-dev-Calls)');
      expect(result.stdout).toContain('webhook secret set');
      expect(result.stdout).toMatch(/numbers\s+1 configured, 1 enabled/);
      expect(result.stdout).toMatch(/calls today\s+\d+ \(1 live now\)/);
      // rtc_done was stored without the model that answered it: counted apart, not guessed (it
      // started a minute ago: just after midnight, or a month's first minute, that was yesterday).
      expect(result.stdout).toMatch(/spend\s+today \$0(?: \(and 1 unpriced call\))?, this month \$0(?: \(and 1 unpriced call\))? \(OpenAI's part/);
      expect(result.stdout).toContain('budget        $50.00 a month: 0% spent');
      expect(result.stdout).toContain('workers       2 running, 2 wanted');
      const asJson = JSON.parse((await cli(['status', '--stack', 'dev', '--json'])).stdout);
      expect(asJson).toMatchObject({ secrets: { openAiApiKey: false, webhookSecret: true }, workers: { running: 2, desired: 2 } });
      expect(asJson.spend.month.totalUsd).toBe(0);
    });
  });

  describe('numbers', () => {
    it('validates a file without storing it, printing every problem with its path', async () => {
      const bad = join(dir, 'bad.yaml');
      await writeFile(bad, 'number: "+1 713"\nagent:\n  instructions: Hi\n  turnDetection:\n    threshold: 0.4\ntransfers:\n  - name: Sales\n    description: s\n    target: nowhere\n');
      const result = await cli(['numbers', 'validate', '--file', bad]);
      expect(result.code).toBe(2);
      expect(result.stdout).toContain(`${bad}: 4 problems`);
      expect(result.stdout).toContain('  - number: number "+1 713" is not a valid phone number');
      expect(result.stdout).toContain('  - agent.turnDetection.threshold: "threshold" cannot be set for phone calls');
      expect(result.stdout).toContain('  - transfers[0].name: transfer name must be lowercase');
      expect(result.stdout).toContain('  - transfers[0].target: transfer target "nowhere" is neither');
      expect((await cli(['numbers', 'validate', '--file', EXAMPLE])).stdout).toBe(`${EXAMPLE}: valid config for +17134810111 (Support line)\n`);
    });

    it('takes YAML, writes a config out to edit, and refuses a put over a newer version', async () => {
      const yamlFile = join(dir, 'line.yaml');
      const got = await cli(['numbers', 'get', '+17134810111', '--out', yamlFile, '--stack', 'dev']);
      expect(got.stdout).toMatch(/^wrote \+17134810111 \(version \d+\) to /);
      const doc = parseYaml(await readFile(yamlFile, 'utf8'));
      expect(doc).toMatchObject({ number: '+17134810111', version: expect.any(Number), agent: { voice: 'cedar' } });

      // Someone else changes the number meanwhile.
      expect((await cli(['numbers', 'disable', '+17134810111', '--stack', 'dev'])).stdout).toMatch(/^disabled \+17134810111, version \d+\n$/);
      await writeFile(yamlFile, (await readFile(yamlFile, 'utf8')).replace('voice: cedar', 'voice: marin'));
      const conflict = await cli(['numbers', 'put', '+17134810111', '--file', yamlFile, '--stack', 'dev']);
      expect(conflict.code).toBe(4);
      expect(conflict.stderr).toBe(`error: number +17134810111 changed since version ${doc.version} was read; get it again, then put your change (nothing was stored)\n`);
      const stored = JSON.parse((await cli(['numbers', 'get', '+17134810111', '--json', '--stack', 'dev'])).stdout);
      expect(stored).toMatchObject({ enabled: false, agent: { voice: 'cedar' } });

      expect((await cli(['numbers', 'enable', '+17134810111', '--stack', 'dev'])).stdout).toMatch(/^enabled \+17134810111/);
      expect((await cli(['numbers', 'enable', '+17134810111', '--stack', 'dev'])).stdout).toMatch(/is already enabled/);
    });
  });

  describe('call history', () => {
    it('lists calls newest first with time, number, caller, duration, outcome and reason', async () => {
      const result = await cli(['calls', 'list', '--stack', 'dev']);
      const lines = result.stdout.trim().split('\n');
      expect(lines[0]).toMatch(/^STARTED \(UTC\)\s+NUMBER\s+CALLER\s+DURATION\s+OUTCOME\s+REASON\s+ENGINE\s+COST\s+CALL ID$/);
      expect(lines.slice(1).map((l) => l.split(/\s+/).pop())).toEqual(['rtc_live', 'rtc_blocked', 'rtc_moved', 'rtc_done', 'rtc_other']);
      // Stored as a release before 2026-12-01 stored it: no model named, so its cost is not guessed.
      expect(lines[4]).toMatch(/\+17134810111\s+\+14067704205\s+42s\s+completed\s+caller-hung-up\s+realtime\s+unpriced\s+rtc_done$/);
      expect(lines[3]).toMatch(/30s\s+transferred\s+to tel:\+17135550100\s+realtime\s+\S+\s+rtc_moved$/);
    });

    it.each<[string[], string[]]>([
      [['--number', '+1 713 481 0122'], ['rtc_other']],
      [['--since', '24h'], ['rtc_live', 'rtc_blocked', 'rtc_moved', 'rtc_done']],
      [['--since', '15m'], ['rtc_live', 'rtc_blocked']],
      [['--outcome', 'rejected'], ['rtc_blocked', 'rtc_other']],
      [['--number', '+17134810111', '--outcome', 'completed'], ['rtc_done']],
      [['--limit', '2'], ['rtc_live', 'rtc_blocked']],
    ])('filters with %j', async (filters, expected) => {
      const result = await cli(['calls', 'list', ...filters, '--json', '--stack', 'dev']);
      expect(result.code).toBe(0);
      expect(JSON.parse(result.stdout).calls.map((c: { callId: string }) => c.callId)).toEqual(expected);
    });

    it('reads a --since time without a zone as UTC, like every time it shows, whatever the machine\'s zone', async () => {
      const fifteenMinutesAgo = new Date(Date.now() - 15 * 60_000).toISOString().slice(0, 16);
      for (const TZ of ['America/Chicago', 'Asia/Tokyo']) {
        const result = await runCli(['calls', 'list', '--since', fifteenMinutesAgo, '--json', '--stack', 'dev'], { env: { ...env, TZ } });
        expect(JSON.parse(result.stdout).calls.map((c: { callId: string }) => c.callId)).toEqual(['rtc_live', 'rtc_blocked']);
      }
      const help = (await cli(['calls', 'list', '--help'])).stdout.replace(/\s+/g, ' ');
      // What --since says of itself, up to the next option.
      expect(help).toMatch(/--since <time> [^]*?\bUTC\b[^]*? --outcome/);
    });

    it("looks back as far as the stack keeps calls (its CallRetentionDays output), not a fixed 90 days", async () => {
      const dev = aws.stacks.find((stack) => stack.name === 'Switchboard-dev-Calls')!;
      aws.stacks.push({ name: 'Switchboard-yearly-Calls', outputs: { ...dev.outputs, [OUTPUTS.callRetentionDays]: '365' } });
      const longAgo = new Date(Date.now() - 200 * 86400_000).toISOString();
      await history.add({ callId: 'rtc_last_spring', number: '+17134810111', caller: '+14067704205', startedAt: longAgo, outcome: 'rejected', reason: 'caller-blocked', rejectStatus: 603 });
      const yearly = JSON.parse((await cli(['calls', 'list', '--all', '--json', '--stack', 'yearly'])).stdout);
      expect(yearly.calls.map((c: { callId: string }) => c.callId)).toContain('rtc_last_spring');
      // A stack without the output (deployed before it) keeps the default.
      const ninetyDays = JSON.parse((await cli(['calls', 'list', '--all', '--json', '--stack', 'dev'])).stdout);
      expect(ninetyDays.calls.map((c: { callId: string }) => c.callId)).not.toContain('rtc_last_spring');
    });

    it('pages through all history', async () => {
      const result = await cli(['calls', 'list', '--all', '--json', '--stack', 'dev']);
      expect(JSON.parse(result.stdout)).toEqual({ calls: expect.any(Array), cursor: null });
      expect(JSON.parse(result.stdout).calls).toHaveLength(5);
      const limited = await cli(['calls', 'list', '--limit', '2', '--stack', 'dev']);
      expect(limited.stderr).toMatch(/^\(showing the newest 2; the next 2 with --cursor \S+, or more with --limit <k> or --all\)$/m);
    });

    it('refuses filters it cannot read', async () => {
      expect(await cli(['calls', 'list', '--since', 'yesterday', '--stack', 'dev'])).toMatchObject({ code: 2, stderr: 'error: --since "yesterday" is not a time: use e.g. 30m, 24h, 7d, 2w or a date like 2026-11-20\n' });
      expect((await cli(['calls', 'list', '--outcome', 'great', '--stack', 'dev'])).code).toBe(2);
    });

    it('shows a call as a timeline', async () => {
      const result = await cli(['calls', 'show', 'rtc_done', '--stack', 'dev']);
      expect(result.stdout).toContain('call rtc_done\n  +14067704205 -> +17134810111, answered by Realtime\n');
      expect(result.stdout).toContain('outcome completed (caller-hung-up)');
      const timeline = result.stdout.split('\n').filter((l) => /^\s+\+\s*\d+\.\ds\s/.test(l)).map((l) => l.trim().replace(/^\+\s*[\d.]+s\s+/, ''));
      expect(timeline).toEqual([
        '[greeting]',
        'agent : Thanks for calling Wavix support, this is Alex.',
        'caller: Hi, what time do you open, tomorrow?',
        '[dtmf] key=5',
        'agent : We open at "nine".',
      ]);
      expect(result.stdout).toContain('tokens: 1200 in, 300 out, 1500 total');
    });

    it('follows new and live calls as they happen', async () => {
      const tail = await startCli(['calls', 'tail', '--interval', '1', '--json', '--stack', 'dev'], /following calls/, env);
      try {
        await history.add({ callId: 'rtc_tailed', number: '+17134810111', caller: '+14067704205', startedAt: new Date().toISOString(), outcome: 'active' });
        await waitFor(() => tail.output().includes('"callId":"rtc_tailed"'));
        await history.entries('rtc_tailed', { transcript: [{ role: 'caller', text: 'Is anyone there?', at: new Date().toISOString(), id: 'item_t1' }] });
        await waitFor(() => tail.output().includes('Is anyone there?'));
        await history.end('rtc_tailed', { outcome: 'completed', reason: 'caller-hung-up', durationSeconds: 3, endedAt: new Date().toISOString() });
        await waitFor(() => tail.output().includes('"type":"end"'));
        const events = tail.output().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l)).filter((e) => e.callId === 'rtc_tailed');
        expect(events.map((e) => e.type)).toEqual(['call', 'event', 'end']);
        expect(events[1]).toMatchObject({ text: 'caller: Is anyone there?' });
        expect(events[2]).toMatchObject({ outcome: 'completed', reason: 'caller-hung-up', durationSeconds: 3 });
        // History from before the tail began is not replayed; the call live at the start is followed.
        expect(tail.output()).not.toContain('rtc_done');
        expect(tail.output()).toContain('"callId":"rtc_live"');
      } finally {
        expect(await tail.stop('SIGINT')).toBe(0);
      }
    });

    it('says --interval is in seconds, and so is its default', async () => {
      const help = (await cli(['calls', 'tail', '--help'])).stdout.replace(/\s+/g, ' ');
      expect(help).toMatch(/--interval <seconds> how often to look, in seconds \(default: 2\)/);
    });

    it('keeps following, poll after poll, without piling up listeners', async () => {
      // With the limit of Node 20 and 22, a leak of one listener per poll shows as a warning after 11 polls.
      const limit = join(ROOT, 'test/support/cli-signal-listener-limit.js');
      const tail = await startCli(['calls', 'tail', '--interval', '0.1', '--stack', 'dev'], /following calls/, { ...env, NODE_OPTIONS: `--require ${limit}` });
      await new Promise((resolve) => setTimeout(resolve, 3000));
      expect(await tail.stop('SIGINT')).toBe(0);
      expect(tail.output()).not.toContain('MaxListenersExceededWarning');
      expect(tail.output()).toContain('rtc_live');
    });

    it('exports full records as CSV and JSON lines', async () => {
      const csv = await cli(['calls', 'export', '--since', '24h', '--format', 'csv', '--stack', 'dev']);
      expect(csv.code).toBe(0);
      const [header, ...rows] = csv.stdout.trimEnd().split(/\n(?=rtc_)/);
      expect(header).toBe('callId,startedAt,endedAt,durationSeconds,number,caller,label,outcome,reason,rejectStatus,transferTarget,inputTokens,outputTokens,totalTokens,costUsd,summary,fields,transcript');
      // rtc_other is three days old; a call the tail test placed may be there too.
      expect(rows.map((r) => r.split(',')[0])).toEqual(expect.arrayContaining(['rtc_live', 'rtc_blocked', 'rtc_moved', 'rtc_done']));
      expect(rows.map((r) => r.split(',')[0])).not.toContain('rtc_other');
      const done = rows.find((r) => r.startsWith('rtc_done'))!;
      // A phone number starts with "+", so it carries the quote that keeps such a cell text (see cli-calls.test.ts).
      expect(done).toContain(`,42,'+17134810111,'+14067704205,,completed,caller-hung-up,,,1200,300,1500,unpriced,,,"agent: Thanks for calling Wavix support, this is Alex.\ncaller: Hi, what time do you open, tomorrow?\nagent: We open at ""nine""."`);

      const out = join(dir, 'calls.jsonl');
      const jsonl = await cli(['calls', 'export', '--since', '7d', '--format', 'jsonl', '--out', out, '--stack', 'dev']);
      expect(jsonl.stderr).toMatch(new RegExp(`wrote [56] calls to ${out}`));
      const records = (await readFile(out, 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
      expect(records.find((r) => r.callId === 'rtc_done')).toMatchObject({ transcript: expect.arrayContaining([expect.objectContaining({ role: 'caller' })]), usage: { totalTokens: 1500 } });
      expect((await cli(['calls', 'export', '--since', '7d', '--format', 'xml', '--stack', 'dev'])).code).toBe(2);
    });
  });
});

async function waitFor(check: () => boolean, timeoutMs = 8000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}
