import { checkNumberConfig } from '../../core/numbers/config';
import { problemLines } from '../../core/numbers/config-file';

const lineOf = (text: string, needle: string) => text.split('\n').findIndex((l) => l.includes(needle)) + 1;

describe('the line each config problem belongs to', () => {
  const config = {
    number: '+17134810111',
    enabled: true,
    agent: { voice: 'cedar', instructions: 'Hi', turnDetection: { type: 'server_vad', threshold: 0.5 } },
    transfers: [
      { name: 'sales', description: 'Sales', target: '+17135550100' },
      { name: 'desk', description: 'Desk', target: 'nowhere' },
    ],
    surprise: true,
  };

  it.each([
    ['JSON', JSON.stringify(config, null, 2)],
    [
      'YAML',
      `number: "+17134810111"\nenabled: true\nagent:\n  voice: cedar\n  instructions: Hi\n  turnDetection:\n    type: server_vad\n    threshold: 0.5\ntransfers:\n  - name: sales\n    description: Sales\n    target: "+17135550100"\n  - name: desk\n    description: Desk\n    target: nowhere\nsurprise: true\n`,
    ],
  ])('puts each problem of a %s config on the line of the field its path names', (_, text) => {
    const placed = problemLines(text, checkNumberConfig(config).problems);
    const line = (path: string) => placed.find((p) => p.path === path)?.line;
    expect(line('agent.turnDetection.threshold')).toBe(lineOf(text, 'threshold'));
    expect(line('transfers[1].target')).toBe(lineOf(text, 'nowhere'));
    expect(line('surprise')).toBe(lineOf(text, 'surprise'));
  });

  it('puts a missing field on the line of the object that lacks it', () => {
    const text = '{\n  "number": "+17134810111",\n  "enabled": true,\n  "agent": {\n    "voice": "cedar"\n  }\n}';
    const placed = problemLines(text, checkNumberConfig(JSON.parse(text)).problems);
    expect(placed).toContainEqual(expect.objectContaining({ path: 'agent.instructions', line: 4 }));
  });
});
