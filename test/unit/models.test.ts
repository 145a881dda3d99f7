import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildSessionConfig } from '../../core/calls/session-config';
import { checkAgainstCatalogue, retiringModels } from '../../core/numbers/catalogue-check';
import { parseNumberConfig } from '../../core/numbers/config';
import { currentModels, DEFAULTS, isListedVoice, languageHintOf, MODELS, modelStanding, replacementFor, VOICES, type ModelKind } from '../../core/openai/models';
import { acceptParamsError } from '../../local/openai-emulator/accept-params';

const example = JSON.parse(readFileSync(join(__dirname, '../../examples/support-line.json'), 'utf8'));
const withAgent = (agent: Record<string, unknown>) => parseNumberConfig({ ...example, agent: { ...example.agent, ...agent } });
const transcribing = (model: string) => withAgent({ transcription: { model } });

describe('the table of OpenAI models', () => {
  it.each<[string, ModelKind, string, ReturnType<typeof modelStanding>]>([
    ['gpt-realtime-2.1', 'realtime', '2026-12-01', { standing: 'current' }],
    ['gpt-realtime-2.1-mini', 'realtime', '2030-01-01', { standing: 'current' }],
    ['gpt-realtime', 'realtime', '2026-12-01', { standing: 'deprecated', shutdown: '2027-01-20', replacement: 'gpt-realtime-2.1' }],
    ['gpt-realtime', 'realtime', '2027-01-19', { standing: 'deprecated', shutdown: '2027-01-20', replacement: 'gpt-realtime-2.1' }],
    ['gpt-realtime', 'realtime', '2027-01-20', { standing: 'shut-down', shutdown: '2027-01-20', replacement: 'gpt-realtime-2.1' }],
    ['gpt-realtime-mini', 'realtime', '2026-12-01', { standing: 'deprecated', shutdown: '2027-01-20', replacement: 'gpt-realtime-2.1-mini' }],
    ['gpt-4o-mini-transcribe', 'transcription', '2026-08-25', { standing: 'current' }],
    ['gpt-4o-mini-transcribe', 'transcription', '2026-08-26', { standing: 'deprecated', announced: '2026-08-26', shutdown: '2027-02-26', replacement: 'gpt-live-transcribe' }],
    ['whisper-1', 'transcription', '2027-02-25', { standing: 'deprecated', announced: '2026-08-26', shutdown: '2027-02-26', replacement: 'gpt-live-transcribe' }],
    ['gpt-4o-transcribe', 'transcription', '2027-02-26', { standing: 'shut-down', shutdown: '2027-02-26', replacement: 'gpt-live-transcribe' }],
    ['gpt-live-transcribe', 'transcription', '2026-12-01', { standing: 'current' }],
    ['gpt-realtime-mini-2025-10-06', 'realtime', '2026-12-01', { standing: 'shut-down', shutdown: '2026-07-23', replacement: 'gpt-realtime-2.1-mini' }],
    ['gpt-live-transcribe', 'realtime', '2026-12-01', { standing: 'other-kind', kind: 'transcription' }],
    ['gpt-realtime-2.1', 'transcription', '2026-12-01', { standing: 'other-kind', kind: 'realtime' }],
    ['gpt-realtime-3', 'realtime', '2026-12-01', { standing: 'unlisted' }],
  ])('%s as a %s model on %s', (id, kind, on, standing) => {
    expect(modelStanding(id, kind, on)).toEqual(standing);
  });

  it('sends users past a replacement that is itself retiring, to a current model', () => {
    expect(replacementFor('gpt-realtime-mini-2025-10-06', '2026-12-01')).toBe('gpt-realtime-2.1-mini');
    expect(replacementFor('gpt-realtime-2.1', '2026-12-01')).toBe('gpt-realtime-2.1');
  });

  it('holds together: one entry per model, replacements of the same kind and current, dates in order, every fact with its page', () => {
    const ids = MODELS.map((m) => m.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const model of MODELS) {
      expect(model.source).toMatch(/^https:\/\/developers\.openai\.com\//);
      if (model.kind === 'transcription') expect(['language', 'languages']).toContain(model.languageHint);
      if (!model.retirement) continue;
      const { announced, shutdown, replacement, source } = model.retirement;
      expect(source).toMatch(/^https:\/\/developers\.openai\.com\//);
      expect(shutdown).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      if (announced) expect(announced < shutdown).toBe(true);
      expect(MODELS.find((m) => m.id === replacement)?.kind).toBe(model.kind);
      expect(currentModels(model.kind)).toContain(replacementFor(model.id, shutdown));
    }
  });

  it('defaults to current models and a listed voice', () => {
    expect(currentModels('realtime')).toContain(DEFAULTS.model);
    expect(currentModels('transcription')).toContain(DEFAULTS.transcriptionModel);
    expect(VOICES).toContain(DEFAULTS.voice);
    expect(isListedVoice('cedar')).toBe(true);
    expect(isListedVoice('nova')).toBe(false);
  });

  it.each([
    ['gpt-live-transcribe', 'languages'],
    ['gpt-transcribe', 'languages'],
    ['gpt-realtime-whisper', 'language'],
    ['gpt-4o-mini-transcribe', 'language'],
    ['a-newer-transcriber', 'language'],
  ])('%s takes the expected language as %s', (model, hint) => {
    expect(languageHintOf(model)).toBe(hint);
  });
});

describe('checking a number config against the table', () => {
  const ON = '2026-12-01';
  const listedRealtime = '"gpt-realtime-2.1", "gpt-realtime-2.1-mini", "gpt-realtime-2", "gpt-realtime-1.5"';

  it.each<[string, ReturnType<typeof parseNumberConfig>, string[], string[]]>([
    ['the example', parseNumberConfig(example), [], []],
    ['a disabled number without an agent', parseNumberConfig({ number: '+17134810111', enabled: false }), [], []],
    [
      'a deprecated realtime model',
      withAgent({ model: 'gpt-realtime' }),
      ['agent.model: "gpt-realtime" is deprecated and stops working on 2027-01-20: use "gpt-realtime-2.1"'],
      [],
    ],
    [
      'a deprecated transcription model',
      transcribing('gpt-4o-mini-transcribe'),
      [`agent.transcription.model: "gpt-4o-mini-transcribe" is deprecated (OpenAI's notice of 2026-08-26) and stops working on 2027-02-26: use "gpt-live-transcribe"`],
      [],
    ],
    [
      'a model shut down',
      withAgent({ model: 'gpt-realtime-mini-2025-10-06' }),
      [],
      ['agent.model: "gpt-realtime-mini-2025-10-06" was shut down by OpenAI on 2026-07-23, so calls would fail: use "gpt-realtime-2.1-mini"'],
    ],
    [
      'a model newer than the table',
      withAgent({ model: 'gpt-realtime-3' }),
      [`agent.model: "gpt-realtime-3" is not a realtime (speech-to-speech) model Switchboard knows (${listedRealtime}); it is sent to OpenAI as written: check the name, unless the model is newer than this list`],
      [],
    ],
    [
      'a transcription model as the agent',
      withAgent({ model: 'gpt-live-transcribe' }),
      [],
      [`agent.model: "gpt-live-transcribe" is a transcription model; agent.model takes a realtime (speech-to-speech) model: ${listedRealtime}`],
    ],
    [
      'a voice OpenAI does not list',
      withAgent({ voice: 'nova' }),
      ['agent.voice: "nova" is not one of OpenAI\'s voices for Realtime calls ("alloy", "ash", "ballad", "coral", "echo", "sage", "shimmer", "verse", "marin", "cedar"); it is sent to OpenAI as written: check the name, unless the voice is newer than this list'],
      [],
    ],
  ])('%s', (_, config, warnings, errors) => {
    const check = checkAgainstCatalogue(config, ON);
    expect(check.warnings.map((w) => `${w.path}: ${w.message}`)).toEqual(warnings);
    expect(check.errors.map((e) => `${e.path}: ${e.message}`)).toEqual(errors);
  });

  it('refuses a deprecated model once its shutdown day comes', () => {
    expect(checkAgainstCatalogue(withAgent({ model: 'gpt-realtime' }), '2027-01-20').errors).toEqual([
      { path: 'agent.model', message: '"gpt-realtime" was shut down by OpenAI on 2027-01-20, so calls would fail: use "gpt-realtime-2.1"' },
    ]);
  });

  it('lists the retiring models of a config, for status', () => {
    const config = parseNumberConfig({ ...example, agent: { ...example.agent, model: 'gpt-realtime', transcription: { model: 'whisper-1' } } });
    expect(retiringModels(config, ON)).toEqual([
      { path: 'agent.model', model: 'gpt-realtime', shutdown: '2027-01-20', shutDown: false, replacement: 'gpt-realtime-2.1' },
      { path: 'agent.transcription.model', model: 'whisper-1', shutdown: '2027-02-26', shutDown: false, announced: '2026-08-26', replacement: 'gpt-live-transcribe' },
    ]);
    expect(retiringModels(config, '2027-03-01').map((r) => r.shutDown)).toEqual([true, true]);
    expect(retiringModels(parseNumberConfig(example), ON)).toEqual([]);
  });
});

describe('the caller transcription in the accept body', () => {
  const call = { number: '+17134810111', caller: '+14067704205' };
  const sent = (transcription: Record<string, unknown>) => {
    const config = withAgent({ transcription });
    return buildSessionConfig({ ...config, agent: config.agent! }, call, '2026-12-01').audio?.input?.transcription;
  };

  it.each<[string, Record<string, unknown>, Record<string, unknown>]>([
    ['the default', {}, { model: 'gpt-live-transcribe' }],
    ['a language for gpt-live-transcribe, as the list it takes', { model: 'gpt-live-transcribe', language: 'es' }, { model: 'gpt-live-transcribe', languages: ['es'] }],
    ['a language for gpt-transcribe', { model: 'gpt-transcribe', language: 'fr' }, { model: 'gpt-transcribe', languages: ['fr'] }],
    ['a language for gpt-realtime-whisper, as `language`', { model: 'gpt-realtime-whisper', language: 'de' }, { model: 'gpt-realtime-whisper', language: 'de' }],
  ])('%s', (_, transcription, expected) => {
    expect(sent(transcription)).toEqual(expected);
  });
});

describe('the OpenAI emulator at accept', () => {
  const body = (model: string, transcriptionModel: string = DEFAULTS.transcriptionModel) => ({
    type: 'realtime',
    model,
    audio: { input: { transcription: { model: transcriptionModel, languages: ['en'] } }, output: { voice: 'marin' } },
  });

  it.each<[string, ReturnType<typeof body>, string, ReturnType<typeof acceptParamsError>]>([
    ['takes the defaults', body(DEFAULTS.model), '2026-12-01', undefined],
    ['takes a deprecated model before its shutdown', body('gpt-realtime', 'gpt-4o-mini-transcribe'), '2026-12-01', undefined],
    ['takes a model it does not know', body('gpt-realtime-3'), '2026-12-01', undefined],
    [
      'refuses a realtime model after its shutdown',
      body('gpt-realtime'),
      '2027-01-20',
      { message: "The model 'gpt-realtime' was shut down on 2027-01-20 and is no longer available.", param: 'model', code: 'model_not_found' },
    ],
    [
      'refuses a transcription model after its shutdown',
      body(DEFAULTS.model, 'whisper-1'),
      '2027-02-26',
      { message: "The model 'whisper-1' was shut down on 2027-02-26 and is no longer available.", param: 'audio.input.transcription.model', code: 'model_not_found' },
    ],
  ])('%s', (_, accept, on, error) => {
    expect(acceptParamsError(accept, on)).toEqual(error);
  });
});

describe('answering a call whose config names a model OpenAI has shut down', () => {
  const call = { number: '+17134810111', caller: '+14067704205' };
  it.each<[string, Record<string, unknown>, string, { model?: string; transcription?: string }]>([
    ['a realtime model past its shutdown: its replacement', { model: 'gpt-realtime-mini-2025-10-06' }, '2026-12-01', { model: 'gpt-realtime-2.1-mini' }],
    ['a deprecated model before its shutdown: as configured', { model: 'gpt-realtime' }, '2027-01-19', { model: 'gpt-realtime' }],
    ['the same model on its shutdown day: its replacement', { model: 'gpt-realtime' }, '2027-01-20', { model: 'gpt-realtime-2.1' }],
    ['a transcription model past its shutdown', { transcription: { model: 'gpt-4o-mini-transcribe' } }, '2027-02-26', { transcription: 'gpt-live-transcribe' }],
    ['a model the table does not list: as configured', { model: 'gpt-realtime-9' }, '2027-06-01', { model: 'gpt-realtime-9' }],
  ])('%s', (_, agent, day, expected) => {
    const config = withAgent(agent);
    const session = buildSessionConfig({ ...config, agent: config.agent! }, call, day);
    if (expected.model) expect(session.model).toBe(expected.model);
    if (expected.transcription) expect(session.audio?.input?.transcription?.model).toBe(expected.transcription);
  });
});
