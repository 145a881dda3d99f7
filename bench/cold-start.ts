import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { buildSync } from 'esbuild';
import { ENV } from '../core/runtime/contract';
import { median, round } from './stats';

export interface ColdStartResult {
  bundle: string;
  rawKiB: number;
  gzipKiB: number;
  /** The source map next to the bundle (no sources content, as deployed). */
  mapKiB: number;
  /** Loaded as the Lambda loads it, with `--enable-source-maps`. */
  loadMedianMs: number;
  /** The same bundle loaded without source maps. */
  loadMedianMsWithoutSourceMaps: number;
}

/**
 * The esbuild settings lib/constructs/webhook-receiver.ts gives the webhook Lambda: minified,
 * CommonJS, a source map without the sources' content.
 */
function bundle(entry: string | { contents: string; resolveDir: string }, outfile: string): void {
  buildSync({ ...(typeof entry === 'string' ? { entryPoints: [entry] } : { stdin: { ...entry, loader: 'ts' as const } }), outfile, bundle: true, platform: 'node', target: 'node22', format: 'cjs', minify: true, sourcemap: true, sourcesContent: false, logLevel: 'error' });
}

/**
 * The Lambda runs with NODE_OPTIONS=--enable-source-maps (webhook-receiver.ts), under which Node
 * reads the bundle's source map as it loads the bundle (Node 20 does; recent Node defers it).
 */
const AS_DEPLOYED = ['--enable-source-maps'];

/** Milliseconds to load a bundle in a fresh Node process (module evaluation, i.e. the Lambda's init). */
function loadTime(file: string, env: NodeJS.ProcessEnv, nodeArgs: string[]): number {
  const script = `const t=process.hrtime.bigint();require(${JSON.stringify(file)});process.stdout.write(String(Number(process.hrtime.bigint()-t)/1e6));process.exit(0)`;
  return Number(execFileSync(process.execPath, [...nodeArgs, '-e', script], { env: { ...process.env, ...env } }).toString());
}

export function benchColdStart(runs = 10): ColdStartResult[] {
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-cold-'));
  const root = join(__dirname, '..');
  // The floor: a handler that only imports the AWS SDK clients the webhook uses.
  const bare = {
    resolveDir: root,
    contents: `import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
const db = DynamoDBDocumentClient.from(new DynamoDBClient({}));
const sqs = new SQSClient({});
const secrets = new SecretsManagerClient({});
export const handler = async () => ({ statusCode: 200, body: String(Boolean(db && sqs && secrets)) });
`,
  };
  const bundles = [
    { name: 'bare AWS SDK clients', entry: bare, out: join(dir, 'bare.js') },
    { name: 'webhook Lambda', entry: join(root, 'lambda/webhook/index.ts'), out: join(dir, 'webhook.js') },
  ];
  const env = {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'bench',
    AWS_SECRET_ACCESS_KEY: 'bench',
    // The Lambda reads its secrets during init; point that at a closed port so it fails fast, off the clock.
    AWS_ENDPOINT_URL_SECRETS_MANAGER: 'http://127.0.0.1:9',
    [ENV.numbersTable]: 'numbers',
    [ENV.callsTable]: 'calls',
    [ENV.callEntriesTable]: 'call-entries',
    [ENV.callQueueUrl]: 'https://sqs.us-east-1.amazonaws.com/123456789012/calls',
    [ENV.openAiApiKeySecretArn]: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:key',
    [ENV.webhookSecretArn]: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:whsec',
  };
  for (const b of bundles) bundle(b.entry, b.out);
  const deployed = new Map(bundles.map((b) => [b.name, [] as number[]]));
  const withoutMaps = new Map(bundles.map((b) => [b.name, [] as number[]]));
  // Taken in turns, so that what slows the machine for a while falls on every bundle alike.
  for (let i = 0; i < runs; i++) {
    for (const b of bundles) {
      deployed.get(b.name)!.push(loadTime(b.out, env, AS_DEPLOYED));
      withoutMaps.get(b.name)!.push(loadTime(b.out, env, []));
    }
  }
  return bundles.map((b) => {
    const code = readFileSync(b.out);
    return {
      bundle: b.name,
      rawKiB: round(code.length / 1024, 1),
      gzipKiB: round(gzipSync(code).length / 1024, 1),
      mapKiB: round(statSync(`${b.out}.map`).size / 1024, 1),
      loadMedianMs: round(median(deployed.get(b.name)!)),
      loadMedianMsWithoutSourceMaps: round(median(withoutMaps.get(b.name)!)),
    };
  });
}

if (require.main === module) console.log(JSON.stringify(benchColdStart(), null, 2));
