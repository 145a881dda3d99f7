import { describeRouting, InvalidProjectIdError, isRoutedTo, routedProject, sipUriForProject, type WavixDestination } from '../../core/wavix/wavix-client';

const PROJECT = 'proj_XnGzQBp38qGPqjV5GaYVXVGY';
const SIP = `${PROJECT}@sip.api.openai.com;transport=tls`;
const number = (...destination: WavixDestination[]) => ({ id: 1, number: '17134810111', destination });
const sipUri = (destination: string, priority = 1): WavixDestination => ({ destination, priority, transport: 1 });
const pstn = (destination: string, priority = 1): WavixDestination => ({ destination, priority, transport: 4 });
const trunk = (label: string | null, priority = 1): WavixDestination => ({ destination: '', priority, transport: 5, trunk_id: 7, trunk_label: label });

describe('sipUriForProject', () => {
  it("builds the project's SIP URI", () => {
    expect(sipUriForProject(PROJECT)).toBe(SIP);
  });

  it.each([['XnGzQBp38'], ['proj_'], ['proj_abc@evil.example'], [' proj_abc'], ['PROJ_abc']])('refuses %j', (value) => {
    expect(() => sipUriForProject(value)).toThrow(InvalidProjectIdError);
    expect(() => sipUriForProject(value)).toThrow(`"${value}" is not an OpenAI project id (expected proj_...`);
  });
});

describe('describeRouting', () => {
  it.each([
    ['nothing', number(), 'no inbound destination'],
    ['a SIP URI', number(sipUri(SIP)), `SIP URI ${SIP} (priority 1)`],
    ['PSTN', number(pstn('+17135550100')), 'PSTN +17135550100 (priority 1)'],
    ['a trunk by its label', number(trunk('Office PBX')), 'SIP trunk Office PBX (priority 1)'],
    ['a trunk without a label', number(trunk(null)), 'SIP trunk #7 (priority 1)'],
    ['several, lowest priority first', number(trunk('Office PBX', 2), pstn('+17135550100', 1)), 'PSTN +17135550100 (priority 1); then SIP trunk Office PBX (priority 2)'],
  ])('%s', (_, n, text) => {
    expect(describeRouting(n)).toBe(text);
  });

  it('copes with a number Wavix sent without the destination field', () => {
    expect(describeRouting({ id: 1, number: '17134810111' })).toBe('no inbound destination');
  });
});

describe('isRoutedTo and routedProject', () => {
  it.each([
    ['the SIP URI alone', number(sipUri(SIP)), true, PROJECT],
    ['the SIP URI first, PSTN as fallback', number(pstn('+17135550100', 2), sipUri(SIP, 1)), true, PROJECT],
    ['PSTN first, the SIP URI second', number(pstn('+17135550100', 1), sipUri(SIP, 2)), false, undefined],
    ['another project', number(sipUri('proj_other@sip.api.openai.com;transport=tls')), false, 'proj_other'],
    ['the project without ;transport=tls', number(sipUri(`${PROJECT}@sip.api.openai.com`)), false, PROJECT],
    ['a PBX', number(sipUri('desk@pbx.example.com')), false, undefined],
    ['the project host as a PSTN value', number(pstn(SIP)), false, undefined],
    ['nothing', number(), false, undefined],
  ])('%s', (_, n, routed, project) => {
    expect(isRoutedTo(n, SIP)).toBe(routed);
    expect(routedProject(n)?.project).toBe(project);
  });

  it('tells the region and SRTP of the route, and routes for GPT-Live only with SRTP', () => {
    const eu = sipUriForProject(PROJECT, 'eu');
    expect(eu).toBe(`${PROJECT}@sip-eu.api.openai.com;transport=tls`);
    expect(routedProject(number({ ...sipUri(eu), srtp: true }))).toEqual({ project: PROJECT, region: 'eu', srtp: true });
    expect(routedProject(number(sipUri(sipUriForProject(PROJECT, 'in'))))).toEqual({ project: PROJECT, region: 'in', srtp: false });
    expect(isRoutedTo(number(sipUri(SIP)), SIP, true)).toBe(false);
    expect(isRoutedTo(number({ ...sipUri(SIP), srtp: true }), SIP, true)).toBe(true);
  });
});
