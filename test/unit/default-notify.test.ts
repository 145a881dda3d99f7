import { readDefaultNotify } from '../../core/delivery/default-notify';

const NAMES = { url: 'SWITCHBOARD_NOTIFY_URL', events: 'SWITCHBOARD_NOTIFY_EVENTS' };

describe("a host's default notify", () => {
  it('is none without a url, call.ended by default, and the events named otherwise', () => {
    expect(readDefaultNotify(undefined, 'call.missed', NAMES)).toBeUndefined();
    expect(readDefaultNotify(' https://crm.example.com/calls ', undefined, NAMES)).toEqual({ url: 'https://crm.example.com/calls', events: ['call.ended'], allowPrivateNetwork: false });
    expect(readDefaultNotify('https://crm.example.com/calls', 'call.ended, call.missed,call.missed', NAMES)?.events).toEqual(['call.ended', 'call.missed']);
  });
  it('refuses what no delivery could use, naming the variable', () => {
    expect(() => readDefaultNotify('http://crm.example.com/calls', undefined, NAMES)).toThrow(/http:\/\/ is allowed only to this machine/);
    expect(() => readDefaultNotify('https://crm.example.com', 'call.started', NAMES)).toThrow('SWITCHBOARD_NOTIFY_EVENTS: unknown event call.started');
    expect(() => readDefaultNotify('crm', undefined, NAMES)).toThrow(/SWITCHBOARD_NOTIFY_URL is not a URL/);
  });
});
