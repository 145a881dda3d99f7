import { currentModels, isListedVoice, LIVE_MODELS, LIVE_VOICES, modelStanding, VOICES, type Day, type ModelKind } from '../openai/models';
import type { ConfigProblem, LiveAgentConfig, NumberConfig, RealtimeAgentConfig } from './config';

/** A model in a config that OpenAI is retiring or has retired. */
export interface RetiringModel {
  path: 'agent.model' | 'agent.transcription.model';
  model: string;
  shutdown: Day;
  /** Whether `shutdown` has passed: calls with this config fail. */
  shutDown: boolean;
  announced?: Day;
  replacement: string;
}

export interface CatalogueCheck {
  /** Still works, but deserves a look: a deprecated model, a model or voice not in the table. */
  warnings: ConfigProblem[];
  /** Calls would fail: a model past its shutdown, or a model of the wrong kind. */
  errors: ConfigProblem[];
}

const MODEL_FIELDS: ReadonlyArray<{ path: RetiringModel['path']; kind: ModelKind; of: (agent: RealtimeAgentConfig) => string }> = [
  { path: 'agent.model', kind: 'realtime', of: (agent) => agent.model },
  { path: 'agent.transcription.model', kind: 'transcription', of: (agent) => agent.transcription.model },
];

const KIND_NAME: Record<ModelKind, string> = { realtime: 'realtime (speech-to-speech) model', transcription: 'transcription model' };

const quoted = (ids: readonly string[]) => ids.map((id) => `"${id}"`).join(', ');

/** The models of a config that OpenAI has announced the retirement of, as of `on`. */
export function retiringModels(config: NumberConfig, on: Day): RetiringModel[] {
  // GPT-Live's models are not in the lifecycle table yet: nothing of theirs is retiring.
  if (!config.agent || config.agent.engine === 'live') return [];
  const agent = config.agent;
  return MODEL_FIELDS.flatMap(({ path, kind, of }): RetiringModel[] => {
    const model = of(agent);
    const s = modelStanding(model, kind, on);
    if (s.standing === 'deprecated') return [{ path, model, shutdown: s.shutdown, shutDown: false, ...(s.announced && { announced: s.announced }), replacement: s.replacement }];
    if (s.standing === 'shut-down') return [{ path, model, shutdown: s.shutdown, shutDown: true, replacement: s.replacement }];
    return [];
  });
}

/** A config's models and voice against OpenAI's table on `on`: what to warn about and what to refuse. */
export function checkAgainstCatalogue(config: NumberConfig, on: Day): CatalogueCheck {
  const check: CatalogueCheck = { warnings: [], errors: [] };
  if (!config.agent) return check;
  if (config.agent.engine === 'live') return liveCheck(config.agent, config.tools ?? []);
  const agent = config.agent;
  for (const { path, kind, of } of MODEL_FIELDS) {
    const model = of(agent);
    const s = modelStanding(model, kind, on);
    switch (s.standing) {
      case 'current':
        break;
      case 'unlisted':
        check.warnings.push({
          path,
          message: `"${model}" is not a ${KIND_NAME[kind]} Switchboard knows (${quoted(currentModels(kind))}); it is sent to OpenAI as written: check the name, unless the model is newer than this list`,
        });
        break;
      case 'other-kind':
        check.errors.push({ path, message: `"${model}" is a ${KIND_NAME[s.kind]}; ${path} takes a ${KIND_NAME[kind]}: ${quoted(currentModels(kind))}` });
        break;
      case 'deprecated':
        check.warnings.push({
          path,
          message: `"${model}" is deprecated${s.announced ? ` (OpenAI's notice of ${s.announced})` : ''} and stops working on ${s.shutdown}: use "${s.replacement}"`,
        });
        break;
      case 'shut-down':
        check.errors.push({ path, message: `"${model}" was shut down by OpenAI on ${s.shutdown}, so calls would fail: use "${s.replacement}"` });
        break;
    }
  }
  if (!isListedVoice(agent.voice)) {
    check.warnings.push({
      path: 'agent.voice',
      message: `"${agent.voice}" is not one of OpenAI's voices for Realtime calls (${quoted(VOICES)}); it is sent to OpenAI as written: check the name, unless the voice is newer than this list`,
    });
  }
  return check;
}

/**
 * A GPT-Live agent: its model and voice against what the Live accept reference lists (the
 * models page and the `openai` SDK's generated types: LIVE_MODELS, BuiltInVoice), and the split OpenAI's Live
 * prompting guide asks for: the business rules belong in the backend's instructions.
 */
function liveCheck(agent: LiveAgentConfig, tools: NumberConfig['tools']): CatalogueCheck {
  const check: CatalogueCheck = { warnings: [], errors: [] };
  if (!LIVE_MODELS.includes(agent.model)) {
    check.warnings.push({ path: 'agent.model', message: `"${agent.model}" is not a GPT-Live model Switchboard knows (${quoted(LIVE_MODELS)}); it is sent to OpenAI as written` });
  }
  if (!LIVE_VOICES.includes(agent.voice)) {
    check.warnings.push({ path: 'agent.voice', message: `"${agent.voice}" is not one of GPT-Live's voices (${quoted(LIVE_VOICES)}); it is sent to OpenAI as written` });
  }
  if (!agent.backend.instructions) {
    check.warnings.push({
      path: 'agent.backend.instructions',
      message: 'a GPT-Live agent has no backend instructions: its instructions steer the voice (style, when to delegate), and the business rules and tool workflows belong in backend.instructions, which the backend model reads',
    });
  }
  tools.forEach((tool, i) => {
    if (tool.whileWaiting === undefined) return;
    check.warnings.push({
      path: `tools[${i}].whileWaiting`,
      message: "a GPT-Live agent never says whileWaiting: its voice keeps talking to the caller while the backend runs the tool; leave it out, or steer what the voice says meanwhile in the agent's instructions",
    });
  });
  return check;
}
