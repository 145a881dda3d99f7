import type { NumberNotify } from '../numbers/config';
import { checkEndpointUrl } from '../outbound/address';
import { DELIVERY_EVENTS, type DeliveryEvent } from './delivery-plan';

/**
 * A host's default `notify`, for numbers without their own: the delivery Lambda's from the
 * stack's settings (DEFAULT_NOTIFY_URL, DEFAULT_NOTIFY_EVENTS), `switchboard dev`'s from
 * SWITCHBOARD_NOTIFY_URL and SWITCHBOARD_NOTIFY_EVENTS. `names` are the variables', for the
 * message. Undefined when no url is set; throws on a value that cannot be used, so a broken
 * setting stops the host at its start, not each call.
 */
export function readDefaultNotify(
  url: string | undefined,
  events: string | undefined,
  names: { url: string; events: string },
  allowPrivateNetwork = false,
): NumberNotify | undefined {
  const value = url?.trim();
  if (!value) return undefined;
  const checked = checkEndpointUrl(value, names.url);
  if (!checked.ok) throw new Error(checked.problem);
  const named = (events ?? '').split(',').map((e) => e.trim()).filter(Boolean);
  const unknown = named.filter((e) => !DELIVERY_EVENTS.includes(e as DeliveryEvent));
  if (unknown.length > 0) throw new Error(`${names.events}: unknown event ${unknown.join(', ')} (events: ${DELIVERY_EVENTS.join(', ')})`);
  return { url: value, events: named.length > 0 ? [...new Set(named as DeliveryEvent[])] : ['call.ended'], allowPrivateNetwork };
}
