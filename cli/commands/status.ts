import { DescribeServicesCommand, ECSClient } from '@aws-sdk/client-ecs';
import { DescribeSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Command } from 'commander';
import { retiringModels, type RetiringModel } from '../../core/numbers/catalogue-check';
import type { NumberConfig } from '../../core/numbers/config';
import { dayOf } from '../../core/openai/models';
import { withDataOptions, resolveDataTarget, type DataOptions } from '../data-target';
import type { StackOutputs } from '../deployed-stack';
import { costSum, withCosts } from '../../core/store/call-costs';
import { json, usd } from '../format';
import { paint, type Output } from '../output';

type SpendSum = ReturnType<typeof costSum>;

interface Status {
  target: string;
  webhookUrl?: string;
  sipUri?: string;
  secrets?: { openAiApiKey: boolean; webhookSecret: boolean };
  numbers: { configured: number; enabled: number };
  /** Numbers whose configs use a model OpenAI is retiring (or has retired): they need a new config before the shutdown. */
  retiringModels: Array<RetiringModel & { number: string }>;
  /**
   * Enabled numbers on an engine that answered none of this month's calls: the webhook may not
   * subscribe to that engine's events (live.transport.incoming), or the project lacks its SIP.
   */
  quietEngines: Array<{ engine: 'live'; numbers: string[] }>;
  callsToday: { total: number; live: number };
  /** What the calls cost, at the release's price table; unpriced calls are counted apart, never guessed. */
  spend: { today: SpendSum; month: SpendSum; monthlyBudgetUsd?: number };
  workers?: { running: number; desired: number };
}

/** A secret counts as set once it has a current value (the deploy creates it without one). */
async function isSecretSet(client: SecretsManagerClient, arn: string | undefined): Promise<boolean> {
  if (!arn) return false;
  const { VersionIdsToStages } = await client.send(new DescribeSecretCommand({ SecretId: arn }));
  return Object.values(VersionIdsToStages ?? {}).some((stages) => stages.includes('AWSCURRENT'));
}

async function workerCount(stack: StackOutputs): Promise<Status['workers']> {
  if (!stack.clusterName || !stack.serviceName) return undefined;
  const { services } = await new ECSClient({}).send(new DescribeServicesCommand({ cluster: stack.clusterName, services: [stack.serviceName] }));
  const service = services?.[0];
  return service ? { running: service.runningCount ?? 0, desired: service.desiredCount ?? 0 } : undefined;
}

/** Enabled GPT-Live numbers, when no call of the month was answered by GPT-Live (its events may never arrive). */
export function quietEngines(configs: readonly NumberConfig[], month: readonly { engine?: 'live' }[]): Status['quietEngines'] {
  const live = configs.filter((c) => c.enabled && c.agent?.engine === 'live').map((c) => c.number);
  if (live.length === 0 || month.some((call) => call.engine === 'live')) return [];
  return [{ engine: 'live', numbers: live }];
}

function describe(status: Status, out: Output): string {
  const yes = (set: boolean, fix: string) => (set ? paint(out, 'green', 'set') : `${paint(out, 'red', 'NOT SET')} (${fix})`);
  const lines = [`Switchboard ${status.target}`];
  if (status.webhookUrl) lines.push(`  webhook URL   ${status.webhookUrl}`, `                paste into OpenAI: platform settings > Project > Webhooks, event realtime.call.incoming`);
  if (status.sipUri) lines.push(`  SIP URI       ${status.sipUri}`, `                set as the SIP URI destination of each Wavix number (or: switchboard wavix route <number> --project <proj_id>)`);
  if (status.secrets) {
    const stackFlag = status.target.replace(/^stack /, '');
    lines.push(`  API key       ${yes(status.secrets.openAiApiKey, `switchboard secrets set openai-api-key --stack ${stackFlag}`)}`);
    lines.push(`  webhook secret ${yes(status.secrets.webhookSecret, `switchboard secrets set webhook-secret --stack ${stackFlag}`)}`);
  }
  lines.push(`  numbers       ${status.numbers.configured} configured, ${status.numbers.enabled} enabled${status.numbers.configured === 0 ? ' (switchboard numbers put <number> --file <config.json>)' : ''}`);
  if (status.retiringModels.length > 0) {
    const numbers = new Set(status.retiringModels.map((r) => r.number)).size;
    lines.push(`  models        ${numbers} number${numbers === 1 ? ' uses' : 's use'} a model OpenAI is retiring (switchboard numbers get <number> --out <file>, change the model, numbers put):`);
    for (const r of status.retiringModels) {
      const when = r.shutDown ? paint(out, 'red', `SHUT DOWN on ${r.shutdown}: calls fail`) : paint(out, 'yellow', `stops working on ${r.shutdown}`);
      lines.push(`                ${r.number}  ${r.path} "${r.model}" ${when}; use "${r.replacement}"`);
    }
  }
  for (const quiet of status.quietEngines) {
    lines.push(
      `  engines       ${paint(out, 'yellow', `no GPT-Live call was answered this month`)}, though ${quiet.numbers.join(', ')} ${quiet.numbers.length === 1 ? 'is' : 'are'} on GPT-Live: check that the OpenAI webhook subscribes to live.transport.incoming and that the project has GPT-Live SIP enabled`,
    );
  }
  lines.push(`  calls today   ${status.callsToday.total} (${status.callsToday.live} live now)`);
  const spent = (sum: SpendSum) => `${usd(sum.totalUsd)}${sum.unpriced > 0 ? ` (and ${sum.unpriced} unpriced call${sum.unpriced === 1 ? '' : 's'})` : ''}`;
  lines.push(`  spend         today ${spent(status.spend.today)}, this month ${spent(status.spend.month)} (OpenAI's part, at the prices in core/pricing/prices.ts)`);
  const budget = status.spend.monthlyBudgetUsd;
  if (budget) {
    const share = Math.round((status.spend.month.totalUsd / budget) * 100);
    lines.push(`  budget        ${usd(budget)} a month: ${share}% spent${share >= 100 ? ` ${paint(out, 'red', '(over: the budget alarm has fired)')}` : ''}`);
  }
  if (status.workers) lines.push(`  workers       ${status.workers.running} running, ${status.workers.desired} wanted`);
  return lines.join('\n');
}

export function registerStatusCommand(program: Command, out: Output): void {
  withDataOptions(program.command('status'))
    .description('what a newcomer needs: URLs to paste into OpenAI and Wavix, secrets, numbers (and any on a model OpenAI is retiring), calls and spend today and this month, workers')
    .option('--json', 'print JSON')
    .action(async (opts: DataOptions & { json?: boolean }) => {
      const target = await resolveDataTarget(opts);
      const status = await out.progress('reading status', async () => {
        const today = dayOf(new Date());
        const secretsClient = target.stack && new SecretsManagerClient({});
        const [numbers, month, apiKeySet, webhookSecretSet, workers] = await Promise.all([
          target.numbers.list(),
          // The month's calls, each read whole for its cost: a few at a time.
          target.calls.list({ since: `${today.slice(0, 8)}01T00:00:00.000Z`, limit: 100_000 }).then((page) => withCosts(target.calls, page.calls)),
          secretsClient && isSecretSet(secretsClient, target.stack?.openAiApiKeySecretArn),
          secretsClient && isSecretSet(secretsClient, target.stack?.webhookSecretArn),
          target.stack && workerCount(target.stack),
        ]);
        const calls = month.filter((c) => c.startedAt >= `${today}T00:00:00.000Z`);
        const result: Status = {
          target: target.description,
          webhookUrl: target.stack?.webhookUrl,
          sipUri: target.stack?.sipUri,
          secrets: target.stack ? { openAiApiKey: Boolean(apiKeySet), webhookSecret: Boolean(webhookSecretSet) } : undefined,
          numbers: { configured: numbers.length, enabled: numbers.filter((n) => n.config.enabled).length },
          retiringModels: numbers.flatMap((n) => retiringModels(n.config, today).map((r) => ({ number: n.config.number, ...r }))),
          quietEngines: quietEngines(
            numbers.map((n) => n.config),
            month,
          ),
          callsToday: { total: calls.length, live: calls.filter((c) => c.outcome === 'active').length },
          spend: { today: costSum(calls), month: costSum(month), ...(target.stack?.monthlyBudgetUsd && { monthlyBudgetUsd: target.stack.monthlyBudgetUsd }) },
          workers,
        };
        return result;
      });
      out.line(opts.json ? json(status) : describe(status, out));
    });
}
