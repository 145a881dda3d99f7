import type { CallRecord } from '../../core/calls/record';
import { runCli } from '../support/cli';

/** `switchboard simulate` (what `npm start` runs): the whole local stack, one scripted call. */
describe('switchboard simulate', () => {
  const simulate = async (scenario: string) => {
    const result = await runCli(['simulate', '--scenario', scenario, '--fast', '--json']);
    expect(result.code).toBe(0);
    return { record: JSON.parse(result.stdout) as CallRecord, progress: result.stderr };
  };

  it('answers a question, shows the conversation as it happens, and prints the record', async () => {
    const { record, progress } = await simulate('question');
    expect(record).toMatchObject({ number: '+17134810111', caller: '+14067704205', outcome: 'completed', reason: 'caller-hung-up', label: 'Support line' });
    expect(record.transcript.map((t) => t.role)).toEqual(['agent', 'caller', 'agent', 'caller']);
    expect(progress).toContain('webhook: accepted');
    expect(progress).toMatch(/caller: Hi, what time do you open tomorrow\?\n.*agent : We open at nine/);
    expect(progress).toContain('call ended: completed (caller-hung-up)');
  });

  it.each([
    ['transfer', { outcome: 'transferred', transferTarget: 'tel:+17135550100' }],
    ['agent-ends', { outcome: 'completed', reason: 'agent-hung-up' }],
    ['hangup-mid-sentence', { outcome: 'completed', reason: 'caller-hung-up' }],
  ])('plays the %s scenario to its end', async (scenario, expected) => {
    const { record } = await simulate(scenario);
    expect(record).toMatchObject(expected);
  });

  it('prints a timeline for people, through npx', async () => {
    const result = await runCli(['simulate', '--fast'], { npx: true });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^call rtc_\w+\n  \+14067704205 -> \+17134810111 \(Support line\), answered by Realtime \(gpt-realtime-2\.1\)\n/);
    expect(result.stdout).toContain('agent : Thanks for calling Wavix support, this is Alex. How can I help?');
  });

  it('answers the demo number with GPT-Live with --engine live, the Realtime offer acknowledged', async () => {
    const result = await runCli(['simulate', '--fast', '--engine', 'live', '--scenario', 'transfer', '--json']);
    expect(result.code).toBe(0);
    const record = JSON.parse(result.stdout);
    expect(record).toMatchObject({ callId: expect.stringMatching(/^live_/), engine: 'live', outcome: 'transferred', transferTarget: 'tel:+17135550100' });
    expect(result.stderr).toContain('webhook: other-engine (answered-by-live)');
    expect((await runCli(['simulate', '--engine', 'gpt'])).stderr).toContain('--engine must be realtime or live');
  });

  it('refuses an unknown scenario', async () => {
    const result = await runCli(['simulate', '--scenario', 'party']);
    expect(result).toMatchObject({ code: 2, stderr: expect.stringContaining('unknown scenario "party": choose one of question, transfer, agent-ends, hangup-mid-sentence') });
  });
});
