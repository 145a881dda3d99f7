/**
 * The models and voices OpenAI documents for phone calls (the Realtime API over SIP), with
 * their lifecycle, as one dated table: a config is checked against what OpenAI serves on a
 * given day, so the same table says what works today and what a shutdown will break.
 *
 * Checked on 2026-12-01 against the page named on each entry. When OpenAI's deprecations page
 * (https://developers.openai.com/api/docs/deprecations) changes, change the table, not the code.
 * A model missing from the table still works: configs that name one get a warning, not an error,
 * because OpenAI ships models faster than this table is updated.
 */

export type ModelKind = 'realtime' | 'transcription';

/** A day, `YYYY-MM-DD` (UTC). Days compare as strings. */
export type Day = string;

export interface Retirement {
  /** The day OpenAI announced it; absent where no page we could read gives the notice date. */
  announced?: Day;
  /** The first day the model no longer answers. */
  shutdown: Day;
  /** OpenAI's recommended replacement (which may itself be retiring: see `replacementFor`). */
  replacement: string;
  source: string;
}

export interface CatalogueModel {
  id: string;
  kind: ModelKind;
  /** The page that documents the model. */
  source: string;
  retirement?: Retirement;
  /**
   * How a transcription model takes the expected language: the models released in 2026 take a
   * list (`languages`) and must not be sent the older `language` as well.
   */
  languageHint?: 'language' | 'languages';
}

const DEPRECATIONS = 'https://developers.openai.com/api/docs/deprecations';

/**
 * `gpt-realtime` and `gpt-realtime-mini` (with their snapshots) shut down on 2027-01-20: the
 * deprecations page as carried into the generated reference of the `openai` SDK 7.59
 * (`RealtimeSession.model`: "Deprecated values: gpt-realtime, gpt-realtime-2025-08-28,
 * gpt-realtime-mini, gpt-realtime-mini-2025-12-15 ... Announced shutdown date: 2027-01-20").
 * The notice date was not in the stored copies of the page. The replacements are the current
 * models of the same size: `gpt-realtime-2.1` is the GA model OpenAI's SIP examples and Agents SDK
 * default to (https://developers.openai.com/api/docs/models/gpt-realtime-2.1).
 */
const REALTIME_2027_01_20 = (replacement: string): Retirement => ({ shutdown: '2027-01-20', replacement, source: DEPRECATIONS });

/**
 * whisper-1 and the GPT-4o transcription models shut down on 2027-02-26 (the same generated
 * reference: `AudioTranscription.model`, "Announced shutdown date: 2027-02-26"); the page
 * recommends "gpt-live-transcribe or gpt-transcribe", and for a live call the transcription
 * guide recommends gpt-live-transcribe (https://developers.openai.com/api/docs/guides/transcription).
 * The notice is dated 2026-08-26 in reports of the page (its row was not in the stored copies),
 * exactly six months before the shutdown: OpenAI's minimum notice for GA models.
 */
const TRANSCRIPTION_2027_02_26: Retirement = { announced: '2026-08-26', shutdown: '2027-02-26', replacement: 'gpt-live-transcribe', source: DEPRECATIONS };

export const MODELS: readonly CatalogueModel[] = [
  // Speech-to-speech models that answer calls (`agent.model`, the accept body's `model`).
  { id: 'gpt-realtime-2.1', kind: 'realtime', source: 'https://developers.openai.com/api/docs/models/gpt-realtime-2.1' },
  // "supports audio and text inputs over WebRTC, WebSocket, or SIP connections"
  { id: 'gpt-realtime-2.1-mini', kind: 'realtime', source: 'https://developers.openai.com/api/docs/models/gpt-realtime-2.1-mini' },
  // Released 2026-05-07 (changelog); both are current in "Using realtime models".
  { id: 'gpt-realtime-2', kind: 'realtime', source: 'https://developers.openai.com/api/docs/guides/realtime-models-prompting' },
  { id: 'gpt-realtime-1.5', kind: 'realtime', source: 'https://developers.openai.com/api/docs/guides/realtime-models-prompting' },
  { id: 'gpt-realtime', kind: 'realtime', source: DEPRECATIONS, retirement: REALTIME_2027_01_20('gpt-realtime-2.1') },
  { id: 'gpt-realtime-2025-08-28', kind: 'realtime', source: DEPRECATIONS, retirement: REALTIME_2027_01_20('gpt-realtime-2.1') },
  { id: 'gpt-realtime-mini', kind: 'realtime', source: DEPRECATIONS, retirement: REALTIME_2027_01_20('gpt-realtime-2.1-mini') },
  { id: 'gpt-realtime-mini-2025-12-15', kind: 'realtime', source: DEPRECATIONS, retirement: REALTIME_2027_01_20('gpt-realtime-2.1-mini') },
  // The deprecations page's "2026-04-22: Legacy GPT model snapshots" table (as recorded on
  // 2026-04-23): shut down 2026-07-23, substitute gpt-realtime-mini.
  {
    id: 'gpt-realtime-mini-2025-10-06',
    kind: 'realtime',
    source: DEPRECATIONS,
    retirement: { announced: '2026-04-22', shutdown: '2026-07-23', replacement: 'gpt-realtime-mini', source: DEPRECATIONS },
  },

  // Transcription of the caller (`agent.transcription.model`, the accept body's
  // `audio.input.transcription.model`). The Realtime session reference (openai 7.59,
  // `AudioTranscription.model`) lists whisper-1, gpt-transcribe, gpt-live-transcribe,
  // gpt-4o-mini-transcribe(-2025-12-15), gpt-4o-transcribe, gpt-4o-transcribe-diarize and
  // gpt-realtime-whisper; diarize is left out: "This model is not supported in the Realtime API"
  // (https://developers.openai.com/cookbook/examples/migrating_from_whisper_to_gpt_transcribe).
  { id: 'gpt-live-transcribe', kind: 'transcription', source: 'https://developers.openai.com/api/docs/models/gpt-live-transcribe', languageHint: 'languages' },
  { id: 'gpt-transcribe', kind: 'transcription', source: 'https://developers.openai.com/api/docs/models/gpt-transcribe', languageHint: 'languages' },
  // "Existing integrations can also use gpt-realtime-whisper where supported" (transcription
  // guide); the cookbook's examples send it `language`.
  { id: 'gpt-realtime-whisper', kind: 'transcription', source: 'https://developers.openai.com/api/docs/models/gpt-realtime-whisper', languageHint: 'language' },
  { id: 'gpt-4o-mini-transcribe', kind: 'transcription', source: DEPRECATIONS, retirement: TRANSCRIPTION_2027_02_26, languageHint: 'language' },
  { id: 'gpt-4o-mini-transcribe-2025-12-15', kind: 'transcription', source: DEPRECATIONS, retirement: TRANSCRIPTION_2027_02_26, languageHint: 'language' },
  { id: 'gpt-4o-transcribe', kind: 'transcription', source: DEPRECATIONS, retirement: TRANSCRIPTION_2027_02_26, languageHint: 'language' },
  { id: 'whisper-1', kind: 'transcription', source: DEPRECATIONS, retirement: TRANSCRIPTION_2027_02_26, languageHint: 'language' },
];

/**
 * The built-in voices of Realtime sessions, from the accept reference
 * (https://developers.openai.com/api/docs/api-reference/realtime-calls/accept-call, `audio.output.voice`:
 * "Supported built-in voices are alloy, ash, ballad, coral, echo, sage, shimmer, verse, marin,
 * and cedar ... We recommend marin and cedar for best quality"). Custom voices are objects
 * (`{ id }`), which a number config does not take.
 */
export const VOICES: readonly string[] = ['alloy', 'ash', 'ballad', 'coral', 'echo', 'sage', 'shimmer', 'verse', 'marin', 'cedar'];

/** What a number's agent uses unless its config says otherwise. */
export const DEFAULTS = {
  model: 'gpt-realtime-2.1',
  voice: 'marin',
  /**
   * What transcribes the caller inside the voice session, for the call log. The Realtime session
   * reference accepts gpt-live-transcribe and gpt-transcribe there; no page names one for SIP.
   * gpt-live-transcribe is the model the transcription guide recommends for "a microphone, call,
   * or other live audio stream", and it works over WebRTC media as well as WebSocket, while
   * gpt-transcribe is documented for "committed turns in Realtime sessions over WebSocket".
   */
  transcriptionModel: 'gpt-live-transcribe',
} as const;

/** GPT-Live's built-in voices: the ten Realtime voices and twelve more (the `openai` SDK's `BuiltInVoice`, 7.59). */
export const LIVE_VOICES: readonly string[] = [
  'alloy', 'ash', 'ballad', 'beacon', 'bossa', 'cedar', 'cinder', 'coral', 'delta', 'echo', 'gleam', 'marin',
  'meridian', 'quartz', 'ripple', 'sage', 'shida', 'shimmer', 'stone', 'tempo', 'verse', 'vesper', 'willow',
];

/**
 * The GPT-Live models: gpt-live-1 (https://developers.openai.com/api/docs/models/gpt-live-1, the
 * `openai` SDK's `model` union in 7.59) and gpt-live-1.1, released 2026-11-20 with better
 * transcription across languages (https://developers.openai.com/api/docs/models/gpt-live-1.1).
 * The default stays gpt-live-1: it is the model the SIP pages and the SDK name.
 */
export const LIVE_MODELS: readonly string[] = ['gpt-live-1', 'gpt-live-1.1'];

/**
 * What a GPT-Live agent uses unless its config says otherwise: gpt-live-1 and its default voice
 * marin (the Live accept reference: `audio.output.voice` "Defaults to `marin`"); the backend that
 * Live delegates reasoning and tools to, the smallest GPT-5.6 model, as the analysis uses (see
 * core/analysis/analysis-plan.ts): raise it for harder business logic.
 */
export const LIVE_DEFAULTS = {
  model: 'gpt-live-1',
  voice: 'marin',
  backendModel: 'gpt-5.6-luna',
} as const;

export function dayOf(date: Date): Day {
  return date.toISOString().slice(0, 10);
}

export function findModel(id: string): CatalogueModel | undefined {
  return MODELS.find((m) => m.id === id);
}

/** The models of a kind that OpenAI has not announced the retirement of: the ones to recommend. */
export function currentModels(kind: ModelKind): string[] {
  return MODELS.filter((m) => m.kind === kind && !m.retirement).map((m) => m.id);
}

export type Standing =
  | { standing: 'current' }
  | { standing: 'unlisted' }
  | { standing: 'other-kind'; kind: ModelKind }
  | { standing: 'deprecated'; announced?: Day; shutdown: Day; replacement: string }
  | { standing: 'shut-down'; shutdown: Day; replacement: string };

/** Where a model named as `kind` stands on `on`, by the table. */
export function modelStanding(id: string, kind: ModelKind, on: Day): Standing {
  const model = findModel(id);
  if (!model) return { standing: 'unlisted' };
  if (model.kind !== kind) return { standing: 'other-kind', kind: model.kind };
  const retirement = model.retirement;
  if (!retirement || (retirement.announced !== undefined && on < retirement.announced)) return { standing: 'current' };
  const replacement = replacementFor(id, on);
  if (on >= retirement.shutdown) return { standing: 'shut-down', shutdown: retirement.shutdown, replacement };
  return { standing: 'deprecated', ...(retirement.announced && { announced: retirement.announced }), shutdown: retirement.shutdown, replacement };
}

/**
 * The model to move to: OpenAI's replacement, followed on while that is itself retiring on `on`
 * (gpt-realtime-mini-2025-10-06 -> gpt-realtime-mini -> gpt-realtime-2.1-mini), so users are
 * never sent to another model on its way out.
 */
export function replacementFor(id: string, on: Day): string {
  let current = id;
  for (let hops = 0; hops < MODELS.length; hops++) {
    const retirement = findModel(current)?.retirement;
    if (!retirement || (retirement.announced !== undefined && on < retirement.announced)) return current;
    current = retirement.replacement;
  }
  throw new Error(`the model table has a replacement cycle through ${id}`);
}

/**
 * The model a call is answered with on `on`: the configured one, or its replacement once OpenAI
 * has shut it down. An accept naming a shut-down model is refused, and the caller would hear
 * nothing; `numbers validate` and `status` tell the operator to update the config before then.
 */
export function modelServing(id: string, kind: ModelKind, on: Day): string {
  const standing = modelStanding(id, kind, on);
  return standing.standing === 'shut-down' ? standing.replacement : id;
}

export function isListedVoice(voice: string): boolean {
  return VOICES.includes(voice);
}

/** How to send the expected language to a transcription model; unlisted models get the field every model documents. */
export function languageHintOf(transcriptionModel: string): 'language' | 'languages' {
  return findModel(transcriptionModel)?.languageHint ?? 'language';
}
