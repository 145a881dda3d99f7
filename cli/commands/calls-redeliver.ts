import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { Command } from 'commander';
import { deliverCall, type DeliveryMessage } from '../../core/delivery/deliver-call';
import { DELIVERY_EVENTS, eventOfOutcome, type DeliveryEvent } from '../../core/delivery/delivery-plan';
import { silentLog } from '../../core/runtime/log';
import { CallAnalysisStore } from '../../core/store/call-analysis-store';
import { CallDeliveriesStore } from '../../core/store/call-deliveries-store';
import { createDocumentClient, createDynamoDBClient } from '../../core/store/dynamodb-client';
import { LOCAL_TABLE_NAMES } from '../../core/store/tables';
import { LocalSecrets } from '../../local/dynamodb';
import { resolveDataTarget, withDataOptions, type DataOptions } from '../data-target';
import { CliError, EXIT } from '../errors';
import type { Output } from '../output';
import { devDeliveries, devTools, NOTIFY_ENV } from './dev';

function eventArgument(value: string): DeliveryEvent {
  const event = DELIVERY_EVENTS.find((e) => e === value);
  if (!event) throw new CliError(`--event must be one of ${DELIVERY_EVENTS.join(', ')}, not "${value}"`, EXIT.usage);
  return event;
}

/**
 * `switchboard calls redeliver <id>`: the call's delivery once more, with the same `webhook-id`.
 * A deployed stack's goes through its delivery queue (retried there as any other); a local one's
 * (`--endpoint`) is sent from here, once, as `switchboard dev` would sign it.
 */
export function registerRedeliverCommand(calls: Command, out: Output): void {
  withDataOptions(
    calls
      .command('redeliver <callId>')
      .description("deliver a finished call to its number's notify endpoint again (same webhook-id, so a receiver that has it can drop it)")
      .option('--event <event>', `which delivery: ${DELIVERY_EVENTS.join(', ')} (default: the one the call's ending is)`, eventArgument),
  ).action(async (callId: string, opts: DataOptions & { event?: DeliveryEvent }) => {
    const target = await resolveDataTarget(opts);
    const record = await out.progress(`reading ${callId}`, () => target.calls.get(callId));
    if (!record) throw new CliError(`no call ${callId} (see \`switchboard calls list\`)`, EXIT.notFound);
    const event = opts.event ?? eventOfOutcome(record.outcome);
    if (!event) throw new CliError(`call ${callId} has not ended yet (${record.outcome}): it is delivered when it ends`, EXIT.failure);
    const own = (await target.numbers.get(record.number))?.config.notify;
    const message: DeliveryMessage = { callId, event, redelivery: true };

    if (target.stack) {
      if (!target.stack.deliveryQueueUrl) throw new CliError(`stack ${target.stack.stackName} has no output for the delivery queue; redeploy it with this version of Switchboard`, EXIT.failure);
      if (own && !own.events.includes(event)) throw new CliError(`${record.number} is not subscribed to ${event} (its notify events: ${own.events.join(', ')})`, EXIT.failure);
      await out.progress('queueing the delivery', () => new SQSClient({}).send(new SendMessageCommand({ QueueUrl: target.stack!.deliveryQueueUrl, MessageBody: JSON.stringify(message) })));
      // Without a notify of its own, the number's calls go to the stack's default, if it has one.
      out.line(`queued ${event} of ${callId} for delivery to ${own ? own.url : "the stack's default notify url"}`);
      out.note(`retried as any delivery is; \`switchboard calls show ${callId} --stack ${target.stack.stackName}\` shows its attempts`);
      return;
    }

    const { defaultNotify } = devDeliveries(process.env);
    const notify = own ?? defaultNotify;
    if (!notify) throw new CliError(`${record.number} has no "notify" in its config, and ${NOTIFY_ENV.url} is not set: nothing to deliver to (see README, Deliveries)`, EXIT.failure);
    if (!notify.events.includes(event)) throw new CliError(`${record.number} is not subscribed to ${event} (its notify events: ${notify.events.join(', ')})`, EXIT.failure);
    const endpoint = target.endpoint!;
    const local = new LocalSecrets(createDynamoDBClient({ endpoint }));
    const signingSecret = devTools(process.env).signingSecret ?? (await local.signingSecret());
    if (!signingSecret) throw new CliError(`no signing secret: \`switchboard dev\` generates one at its first start (or set SWITCHBOARD_TOOL_SIGNING_SECRET)`, EXIT.failure);
    const db = createDocumentClient({ endpoint });
    const step = await out.progress(`delivering ${event} to ${notify.url}`, () =>
      deliverCall(message, 1, { calls: target.calls, numbers: target.numbers, ...(defaultNotify && { defaultNotify }), attempts: new CallDeliveriesStore(db, LOCAL_TABLE_NAMES), analyses: new CallAnalysisStore(db, LOCAL_TABLE_NAMES), signingSecret: async () => signingSecret, allowLoopback: true, log: silentLog }),
    );
    const attempt = (await target.calls.get(callId))?.deliveries?.at(-1);
    if (step.kind === 'done' && step.outcome === 'delivered') {
      out.line(`delivered ${event} of ${callId} to ${notify.url} (HTTP ${attempt?.status})`);
      return;
    }
    throw new CliError(`the delivery failed: ${attempt?.error ?? 'see `calls show`'}${step.kind === 'retry' ? '; run redeliver again once the endpoint is back (the CLI does not retry)' : ''}`, EXIT.failure);
  });
}
