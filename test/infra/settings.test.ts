import cdkJson from '../../cdk.json';
import {
  DEFAULT_SETTINGS,
  isDevStage,
  parseSettings,
  SETTING_KEYS,
  SETTINGS_HELP,
  SettingsError,
  SIP_URI_UNSET,
  sipUriFor,
  stackNames,
  stageOfCallStack,
} from '../../lib/settings';

describe('parseSettings', () => {
  it('gives a dev stage from no context at all', () => {
    expect(parseSettings({})).toEqual({
      stage: 'dev',
      workerMinTasks: 1,
      workerMaxTasks: 4,
      callsPerTask: 200,
      callRetentionDays: 90,
      networking: 'public',
      webhookReservedConcurrency: 50,
    });
  });

  it('reads cdk.json context to the same defaults (the two never drift apart)', () => {
    expect(parseSettings(cdkJson.context)).toEqual(parseSettings({}));
    for (const [key, value] of Object.entries(DEFAULT_SETTINGS)) {
      expect(cdkJson.context).toHaveProperty(key, value);
    }
  });

  it('documents every setting', () => {
    expect(Object.keys(SETTINGS_HELP).sort()).toEqual([...SETTING_KEYS].sort());
    for (const key of SETTING_KEYS) expect(cdkJson.context).toHaveProperty(key);
  });

  it('parses strings as -c key=value gives them', () => {
    expect(
      parseSettings({
        stage: 'prod',
        openAiProjectId: 'proj_XnGzQBp38qGPqjV5GaYVXVGY',
        workerMinTasks: '2',
        workerMaxTasks: '10',
        callsPerTask: '150',
        callRetentionDays: '30',
        networking: 'nat',
        webhookReservedConcurrency: '20',
        alarmEmail: 'ops@example.com',
        notifyUrl: 'https://crm.example.com/voice/calls',
        notifyEvents: 'call.ended,call.missed',
        monthlyBudgetUsd: '49.50',
      }),
    ).toEqual({
      stage: 'prod',
      openAiProjectId: 'proj_XnGzQBp38qGPqjV5GaYVXVGY',
      workerMinTasks: 2,
      workerMaxTasks: 10,
      callsPerTask: 150,
      callRetentionDays: 30,
      networking: 'nat',
      webhookReservedConcurrency: 20,
      alarmEmail: 'ops@example.com',
      notifyUrl: 'https://crm.example.com/voice/calls',
      notifyEvents: ['call.ended', 'call.missed'],
      monthlyBudgetUsd: 49.5,
    });
  });

  it('treats empty strings (the cdk.json placeholders) as unset', () => {
    const settings = parseSettings({ openAiProjectId: '', alarmEmail: '', notifyUrl: '', notifyEvents: '', monthlyBudgetUsd: '' });
    for (const key of ['openAiProjectId', 'alarmEmail', 'notifyUrl', 'notifyEvents', 'monthlyBudgetUsd']) expect(settings).not.toHaveProperty(key);
  });

  it('leaves notifyEvents unset with notifyUrl alone (the delivery Lambda then sends call.ended)', () => {
    const settings = parseSettings({ notifyUrl: 'https://crm.example.com/voice/calls' });
    expect(settings.notifyUrl).toBe('https://crm.example.com/voice/calls');
    expect(settings).not.toHaveProperty('notifyEvents');
    expect(SETTINGS_HELP.notifyEvents.default).toBe('call.ended');
  });

  it.each([
    ['-c, spaced and repeated', ' call.missed , call.rejected,call.missed ', ['call.missed', 'call.rejected']],
    ['cdk.json, as an array', ['call.ended', 'call.rejected'], ['call.ended', 'call.rejected']],
  ])('reads notifyEvents from %s', (_, notifyEvents, events) => {
    expect(parseSettings({ notifyUrl: 'https://crm.example.com/voice/calls', notifyEvents }).notifyEvents).toEqual(events);
  });

  it.each([
    ['a -c string', '200', 200],
    ['a -c string with cents', '0.5', 0.5],
    ['a cdk.json number', 1500, 1500],
  ])('reads monthlyBudgetUsd from %s', (_, monthlyBudgetUsd, budget) => {
    expect(parseSettings({ monthlyBudgetUsd }).monthlyBudgetUsd).toBe(budget);
  });

  it('lets a small account reserve no webhook concurrency', () => {
    expect(parseSettings({ webhookReservedConcurrency: 'none' }).webhookReservedConcurrency).toBe('none');
  });

  it.each([
    [{ stage: 'Prod!' }, 'stage must match /^[a-z][a-z0-9-]{0,19}$/ (lower-case letters, digits and dashes, starting with a letter, at most 20), got "Prod!"'],
    [{ stage: 'a-very-long-stage-name-indeed' }, 'got "a-very-long-stage-name-indeed"'],
    [{ openAiProjectId: 'XnGzQBp38qGPqjV5GaYVXVGY' }, 'openAiProjectId must look like "proj_XnGzQBp38qGPqjV5GaYVXVGY"'],
    [{ workerMinTasks: '0' }, 'workerMinTasks must be a whole number from 1 to 100, got "0"'],
    [{ workerMaxTasks: 'four' }, 'workerMaxTasks must be a whole number from 1 to 100, got "four"'],
    [{ workerMinTasks: 5, workerMaxTasks: 2 }, 'workerMinTasks (5) must not exceed workerMaxTasks (2)'],
    [{ callsPerTask: '1.5' }, 'callsPerTask must be a whole number from 1 to 2000, got "1.5"'],
    [{ callRetentionDays: -1 }, 'callRetentionDays must be a whole number from 1 to 3650, got -1'],
    [{ networking: 'private' }, 'networking must be one of "public", "nat", got "private"'],
    [{ webhookReservedConcurrency: '0' }, 'webhookReservedConcurrency must be a whole number from 1 to 1000 or "none", got "0"'],
    [{ alarmEmail: 'ops' }, 'alarmEmail must be an email address, got "ops"'],
    [{ stage: 42 }, 'stage must be a string, got 42'],
    [{ notifyUrl: 'http://crm.example.com/calls' }, 'notifyUrl must be an https:// URL (e.g. https://crm.example.com/voice/calls), got "http://crm.example.com/calls"'],
    [{ notifyUrl: 'crm.example.com/calls' }, 'notifyUrl must be an https:// URL (e.g. https://crm.example.com/voice/calls), got "crm.example.com/calls"'],
    [{ notifyUrl: 42 }, 'notifyUrl must be a string, got 42'],
    [{ notifyUrl: 'https://crm.example.com', notifyEvents: 'call.ended,call.answered' }, 'notifyEvents has unknown event "call.answered" (comma-separated, each one of call.ended, call.rejected, call.missed), got "call.ended,call.answered"'],
    [{ notifyUrl: 'https://crm.example.com', notifyEvents: ' , ' }, 'notifyEvents names no event (comma-separated, each one of call.ended, call.rejected, call.missed), got " , "'],
    [{ notifyUrl: 'https://crm.example.com', notifyEvents: 7 }, 'notifyEvents must be a list of events (comma-separated, each one of call.ended, call.rejected, call.missed), got 7'],
    [{ notifyEvents: 'call.missed' }, 'notifyEvents is only for the default endpoint: set notifyUrl too, or leave notifyEvents out'],
    [{ monthlyBudgetUsd: '0' }, 'monthlyBudgetUsd must be a positive number of US dollars (e.g. 100 or 49.50), got "0"'],
    [{ monthlyBudgetUsd: '-20' }, 'monthlyBudgetUsd must be a positive number of US dollars (e.g. 100 or 49.50), got "-20"'],
    [{ monthlyBudgetUsd: '$200' }, 'got "$200"'],
    [{ monthlyBudgetUsd: 'lots' }, 'got "lots"'],
    [{ monthlyBudgetUsd: 0 }, 'monthlyBudgetUsd must be a positive number of US dollars (e.g. 100 or 49.50), got 0'],
  ])('rejects %j', (context, message) => {
    expect(() => parseSettings(context)).toThrow(SettingsError);
    expect(() => parseSettings(context)).toThrow(message);
  });

  it('caps notifyUrl as a number\'s notify url is capped', () => {
    const notifyUrl = `https://crm.example.com/${'a'.repeat(2048 - 24)}`;
    expect(parseSettings({ notifyUrl }).notifyUrl).toHaveLength(2048);
    expect(() => parseSettings({ notifyUrl: `${notifyUrl}a` })).toThrow('notifyUrl must be at most 2048 characters, got 2049');
  });

  it('never repeats a notifyUrl that carries a password', () => {
    const context = { notifyUrl: 'https://crm:hunter2@crm.example.com/calls' };
    expect(() => parseSettings(context)).toThrow('notifyUrl must not carry a user name or password: deliveries are signed (verify them with the tool signing secret)');
    expect(() => parseSettings(context)).not.toThrow(/hunter2/);
  });

  it('reports every problem at once, and how to set the values', () => {
    try {
      parseSettings({ stage: 'Prod!', networking: 'vpn', callsPerTask: 'many' });
      throw new Error('expected a SettingsError');
    } catch (error) {
      expect(error).toBeInstanceOf(SettingsError);
      expect((error as SettingsError).problems).toHaveLength(3);
      expect((error as Error).message).toMatch(/^invalid Switchboard settings \(set them with -c key=value or in cdk.json "context"\):\n  - stage/);
    }
  });
});

describe('derived names', () => {
  it.each([
    ['dev', true],
    ['dev-alice', true],
    ['devops', false],
    ['prod', false],
    ['staging', false],
  ])('stage %s is a dev stage: %s', (stage, dev) => {
    expect(isDevStage(stage)).toBe(dev);
  });

  it('prints the SIP URI from the project id, or says how to set it', () => {
    expect(sipUriFor('proj_XnGzQBp38qGPqjV5GaYVXVGY')).toBe('proj_XnGzQBp38qGPqjV5GaYVXVGY@sip.api.openai.com;transport=tls');
    expect(sipUriFor(undefined)).toBe(SIP_URI_UNSET);
    expect(SIP_URI_UNSET).toMatch(/^UNSET: .*-c openAiProjectId=proj_/);
    expect(SIP_URI_UNSET).not.toContain('@');
  });

  it('names the stacks after the stage', () => {
    expect(stackNames('prod')).toEqual({ data: 'Switchboard-prod-Data', calls: 'Switchboard-prod-Calls' });
    expect(stageOfCallStack(stackNames('dev-eu').calls)).toBe('dev-eu');
    expect(stageOfCallStack('Switchboard-prod-Data')).toBeUndefined();
    expect(stageOfCallStack('my-own-stack')).toBeUndefined();
  });
});
