import { eventClock } from '../../core/worker/event-clock';

describe('eventClock', () => {
  it('stamps events on one tick of the clock in arrival order, a millisecond apart', () => {
    const stamp = eventClock(() => Date.parse('2026-12-01T10:00:00.000Z'));
    expect([stamp(), stamp(), stamp()]).toEqual(['2026-12-01T10:00:00.000Z', '2026-12-01T10:00:00.001Z', '2026-12-01T10:00:00.002Z']);
  });

  it('follows the clock once it moves past the last stamp, and never goes back with it', () => {
    let now = Date.parse('2026-12-01T10:00:00.000Z');
    const stamp = eventClock(() => now);
    stamp();
    now += 500;
    expect(stamp()).toBe('2026-12-01T10:00:00.500Z');
    now -= 200;
    expect(stamp()).toBe('2026-12-01T10:00:00.501Z');
  });
});
