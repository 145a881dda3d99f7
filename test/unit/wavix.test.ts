import { describeRouting, isRoutedTo, routedProject, sipUriForProject, type WavixNumber } from '../../core/wavix/wavix-client';

const SIP = 'proj_XnGzQBp38qGPqjV5GaYVXVGY@sip.api.openai.com;transport=tls';
const number = (destination: WavixNumber['destination']): WavixNumber => ({ id: 1, number: '17134810111', destination });

describe('Wavix routing helpers', () => {
  it('builds the SIP URI of an OpenAI project, and refuses what is not a project id', () => {
    expect(sipUriForProject('proj_XnGzQBp38qGPqjV5GaYVXVGY')).toBe(SIP);
    expect(() => sipUriForProject('XnGzQBp38')).toThrow('"XnGzQBp38" is not an OpenAI project id (expected proj_...');
    expect(() => sipUriForProject('proj_abc@evil.example')).toThrow(/is not an OpenAI project id/);
  });

  it.each<[string, WavixNumber['destination'], string]>([
    ['nothing', [], 'no inbound destination'],
    ['a SIP URI', [{ destination: SIP, priority: 1, transport: 1 }], `SIP URI ${SIP} (priority 1)`],
    ['PSTN then a trunk, by priority', [{ destination: '', priority: 2, transport: 5, trunk_id: 7, trunk_label: 'Office PBX' }, { destination: '+17135550100', priority: 1, transport: 4 }], 'PSTN +17135550100 (priority 1); then SIP trunk Office PBX (priority 2)'],
  ])('describes %s', (_, destinations, text) => {
    expect(describeRouting(number(destinations))).toBe(text);
  });

  it('knows whether the first destination is the project', () => {
    expect(isRoutedTo(number([{ destination: SIP, priority: 1, transport: 1 }]), SIP)).toBe(true);
    expect(isRoutedTo(number([{ destination: '+17135550100', priority: 1, transport: 4 }, { destination: SIP, priority: 2, transport: 1 }]), SIP)).toBe(false);
    expect(routedProject(number([{ destination: SIP, priority: 1, transport: 1 }]))).toBe('proj_XnGzQBp38qGPqjV5GaYVXVGY');
    expect(routedProject(number([{ destination: 'desk@pbx.example.com', priority: 1, transport: 1 }]))).toBeUndefined();
  });
});
