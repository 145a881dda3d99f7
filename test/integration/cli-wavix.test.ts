import { freeLoopbackPort } from '../../local/ports';
import { startWavixEmulator, type WavixEmulator } from '../../local/wavix-emulator';
import { runCli } from '../support/cli';

const KEY = 'wavix-test-key';
const READ_ONLY = 'wavix-read-only-key';
const NO_NUMBERS = 'wavix-billing-only-key';
const PROJECT = 'proj_XnGzQBp38qGPqjV5GaYVXVGY';
const SIP = `${PROJECT}@sip.api.openai.com;transport=tls`;
const PSTN = { id: 9, destination: '+17135550100', priority: 1, transport: 4, trunk_id: null, trunk_label: null };

describe('switchboard wavix (against the Wavix emulator)', () => {
  let wavix: WavixEmulator;
  const cli = (args: string[], env: NodeJS.ProcessEnv = {}) => runCli(['wavix', ...args], { env: { WAVIX_API_KEY: KEY, WAVIX_API_URL: wavix.url, ...env } });
  const route = (number: string, env?: NodeJS.ProcessEnv) => cli(['route', number, '--project', PROJECT], env);
  const patches = () => wavix.requests().filter((r) => r.method === 'PATCH');
  const unchanged = () => expect(wavix.number(101)?.destination).toEqual([PSTN]);

  beforeEach(async () => {
    wavix = await startWavixEmulator({
      apiKey: KEY,
      restrictedKeys: { [READ_ONLY]: 'read', [NO_NUMBERS]: 'none' },
      numbers: [
        { id: 101, number: '17134810111', label: 'Support', status: 'active', channels: 10, destination: [PSTN] },
        { id: 102, number: '17134810122', label: 'Sales', status: 'active', channels: 4, destination: [{ id: 10, destination: SIP, priority: 1, transport: 1 }] },
        // 60 longer numbers that the search for 17134819999 also matches push it onto page 2.
        ...Array.from({ length: 60 }, (_, i) => ({ id: 200 + i, number: `17134819999${String(i).padStart(2, '0')}`, destination: [] })),
        { id: 999, number: '17134819999', label: 'Overflow', destination: [] },
      ],
    });
  });
  afterEach(() => wavix.close());

  describe('route', () => {
    it('points the number at the project, printing the routing before and the routing Wavix reads back after', async () => {
      const result = await route('+1 (713) 481-0111');
      expect(result).toEqual({
        code: 0,
        stdout: `+17134810111 (Wavix id 101, Support)\n  before: PSTN +17135550100 (priority 1)\n  after:  SIP URI ${SIP} (priority 1)\n`,
        stderr: '',
      });
      expect(wavix.requests()).toEqual([
        { method: 'GET', path: '/v1/numbers?search=17134810111&page=1&per_page=50' },
        { method: 'PATCH', path: '/v1/numbers/101', body: { destinations: [{ destination: SIP, priority: 1, transport: 1 }] } },
        { method: 'GET', path: '/v1/numbers/101' },
      ]);
      expect(wavix.number(101)?.destination).toEqual([expect.objectContaining({ destination: SIP, priority: 1, transport: 1 })]);
    });

    it('routes a GPT-Live number with SRTP media and to a regional host, checked by reading it back', async () => {
      const eu = `${PROJECT}@sip-eu.api.openai.com;transport=tls`;
      const result = await cli(['route', '+17134810111', '--project', PROJECT, '--srtp', '--region', 'eu']);
      expect(result).toMatchObject({ code: 0, stdout: expect.stringContaining(`after:  SIP URI ${eu} with SRTP (priority 1)`) });
      expect(patches()).toEqual([{ method: 'PATCH', path: '/v1/numbers/101', body: { destinations: [{ destination: eu, priority: 1, transport: 1, srtp: true }] } }]);
      const status = await cli(['status', '+17134810111']);
      expect(status.stdout).toContain(`routed to project ${PROJECT} (eu host, SRTP media: ready for GPT-Live)`);
      expect(JSON.parse((await cli(['status', '+17134810111', '--json'])).stdout)).toMatchObject({ openaiProject: PROJECT, region: 'eu', srtp: true });
      // Routed without SRTP, the number is not ready for GPT-Live, and status says so.
      expect((await cli(['status', '+17134810122'])).stdout).toContain('media not SRTP: GPT-Live needs --srtp');
    });

    it('says how to turn SRTP on when Wavix does not keep it, and refuses an unknown region', async () => {
      await wavix.close();
      wavix = await startWavixEmulator({ apiKey: KEY, numbers: [{ id: 101, number: '17134810111', destination: [PSTN] }], ignoresSrtp: true });
      const result = await cli(['route', '+17134810111', '--project', PROJECT, '--srtp']);
      expect(result).toMatchObject({ code: 1, stderr: expect.stringContaining('did not turn SRTP on, which GPT-Live requires: enable SRTP for this destination in the Wavix portal') });
      const region = await cli(['route', '+17134810111', '--project', PROJECT, '--region', 'mars']);
      expect(region).toMatchObject({ code: 2, stderr: expect.stringContaining('--region must be one of us, eu, in') });
    });

    it('changes nothing when the number already points at the project', async () => {
      const result = await route('17134810122');
      expect(result).toMatchObject({ code: 0, stdout: `+17134810122 (Wavix id 102, Sales)\n  before: SIP URI ${SIP} (priority 1)\n  already routed to ${SIP}; nothing changed\n` });
      expect(patches()).toEqual([]);
    });

    it('finds a number on page 2 of the search, and prints { number, before, after } with --json', async () => {
      const result = await cli(['route', '+17134819999', '--project', PROJECT, '--json']);
      expect(result.code).toBe(0);
      expect(JSON.parse(result.stdout)).toEqual({
        number: '+17134819999',
        before: [],
        after: [{ id: 1000, destination: SIP, priority: 1, transport: 1, trunk_id: null, trunk_label: null, srtp: false }],
      });
      expect(wavix.requests().map((r) => `${r.method} ${r.path}`)).toEqual([
        'GET /v1/numbers?search=17134819999&page=1&per_page=50',
        'GET /v1/numbers?search=17134819999&page=2&per_page=50',
        'PATCH /v1/numbers/999',
        'GET /v1/numbers/999',
      ]);
    });

    it('shows what Wavix says when it refuses the change (422), exit 2', async () => {
      wavix.failNext('PATCH', 422, { error: true, message: 'The given data was invalid.', errors: { 'destinations.0.destination': ['The destination host is not allowed.'] } });
      const result = await route('+17134810111');
      expect(result).toMatchObject({
        code: 2,
        stdout: '',
        stderr:
          'error: Wavix refused the change (PATCH /v1/numbers/101 answered 422: The given data was invalid.; destinations.0.destination: The destination host is not allowed.)\n',
      });
      expect(patches()).toEqual([{ method: 'PATCH', path: '/v1/numbers/101', body: { destinations: [{ destination: SIP, priority: 1, transport: 1 }] } }]);
      unchanged();
    });
  });

  describe('fails clearly, changing nothing', () => {
    it.each<[string, string[], NodeJS.ProcessEnv, number, string]>([
      ['a number not in the account', ['route', '+14155550100', '--project', PROJECT], {}, 3, 'error: number +14155550100 is not in this Wavix account (buy it in the Wavix portal, or check WAVIX_API_KEY is this account\'s key)\n'],
      ['a wrong API key', ['route', '+17134810111', '--project', PROJECT], { WAVIX_API_KEY: 'nope' }, 1, 'error: Wavix refused the API key (401: Unauthenticated.): check WAVIX_API_KEY\n'],
      [
        'a key that may read numbers but not change them',
        ['route', '+17134810111', '--project', PROJECT],
        { WAVIX_API_KEY: READ_ONLY },
        1,
        'error: the Wavix API key lacks permission to change numbers (PATCH /v1/numbers/101 answered 403: This action is unauthorized.): set WAVIX_API_KEY to a key with numbers write access\n',
      ],
      [
        'a key without access to numbers',
        ['status', '+17134810111'],
        { WAVIX_API_KEY: NO_NUMBERS },
        1,
        'error: the Wavix API key lacks permission to read numbers (GET /v1/numbers answered 403: This action is unauthorized.): set WAVIX_API_KEY to a key with numbers read access\n',
      ],
    ])('%s', async (_, args, env, code, stderr) => {
      expect(await cli(args, env)).toEqual({ code, stdout: '', stderr });
      unchanged();
    });

    it.each<[string, string[], NodeJS.ProcessEnv, string]>([
      ['a project id that is not one', ['route', '+17134810111', '--project', 'XnGzQBp38'], {}, 'error: "XnGzQBp38" is not an OpenAI project id (expected proj_..., shown in the OpenAI dashboard under Settings > Project > General)\n'],
      ['no API key', ['route', '+17134810111', '--project', PROJECT], { WAVIX_API_KEY: '' }, 'error: WAVIX_API_KEY is not set: create an API key in the Wavix portal (Administration > API keys) and export it\n'],
      ['no API key (status)', ['status', '+17134810111'], { WAVIX_API_KEY: '' }, 'error: WAVIX_API_KEY is not set: create an API key in the Wavix portal (Administration > API keys) and export it\n'],
      ['a number that is not a phone number', ['route', 'support', '--project', PROJECT], {}, 'error: number "support" is not a valid phone number (expected E.164 with country code, e.g. +17134810111)\n'],
    ])('%s: exit 2 before any request', async (_, args, env, stderr) => {
      expect(await cli(args, env)).toEqual({ code: 2, stdout: '', stderr });
      expect(wavix.requests()).toEqual([]);
    });

    it('says when Wavix cannot be reached', async () => {
      const nobody = `http://127.0.0.1:${await freeLoopbackPort()}`;
      const result = await cli(['status', '+17134810111'], { WAVIX_API_URL: nobody });
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(new RegExp(`^error: cannot reach Wavix at ${nobody} \\(.*ECONNREFUSED.*\\): check the network, or WAVIX_API_URL if set\\n$`));
    });
  });

  describe('status', () => {
    it("shows the number's id, label, status, channels, routing, and the OpenAI project it reaches", async () => {
      const result = await cli(['status', '17134810122']);
      expect(result).toEqual({
        code: 0,
        stdout: [
          '+17134810122',
          '  id        102',
          '  label     Sales',
          '  status    active',
          '  channels  4',
          `  routing   SIP URI ${SIP} (priority 1)`,
          `  OpenAI    routed to project ${PROJECT} (us host, media not SRTP: GPT-Live needs --srtp)`,
          '',
        ].join('\n'),
        stderr: '',
      });
      expect(wavix.requests().every((r) => r.method === 'GET')).toBe(true);
    });

    it('says how to route a number that does not reach OpenAI', async () => {
      const result = await cli(['status', '+17134810111']);
      expect(result.stdout).toContain('  routing   PSTN +17135550100 (priority 1)\n');
      expect(result.stdout).toContain('  OpenAI    not routed to an OpenAI project (switchboard wavix route +17134810111 --project <proj_id>)\n');
    });

    it('prints JSON for programs', async () => {
      const result = await cli(['status', '+17134810111', '--json']);
      expect(result.code).toBe(0);
      expect(JSON.parse(result.stdout)).toEqual({ number: '+17134810111', id: 101, label: 'Support', status: 'active', channels: 10, destinations: [PSTN], openaiProject: null, region: null, srtp: null });
    });
  });
});

describe('the Wavix emulator refuses what Wavix refuses', () => {
  let wavix: WavixEmulator;
  const patch = (body: string) => fetch(`${wavix.url}/v1/numbers/1`, { method: 'PATCH', headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' }, body });

  beforeAll(async () => {
    wavix = await startWavixEmulator({ apiKey: KEY, numbers: [{ id: 1, number: '17134810111', destination: [] }] });
  });
  afterAll(() => wavix.close());

  it.each([
    ['the read-side name `destination`', { destination: [{ destination: SIP, priority: 1, transport: 1 }] }, 'destinations'],
    ['an unknown transport', { destinations: [{ destination: SIP, priority: 1, transport: 2 }] }, 'destinations.0.transport'],
    ['a priority that is not an integer', { destinations: [{ destination: SIP, priority: '1', transport: 1 }] }, 'destinations.0.priority'],
    ['a SIP URI without a host', { destinations: [{ destination: 'proj_abc', priority: 1, transport: 1 }] }, 'destinations.0.destination'],
    ['a trunk without trunk_id', { destinations: [{ destination: 'x', priority: 1, transport: 5 }] }, 'destinations.0.trunk_id'],
  ])('%s -> 422 naming the field', async (_, body, field) => {
    const response = await patch(JSON.stringify(body));
    expect(response.status).toBe(422);
    expect(Object.keys(((await response.json()) as { errors: object }).errors)).toEqual([field]);
  });

  it('a body that is not JSON -> 400; no bearer key -> 401', async () => {
    expect((await patch('{destinations:')).status).toBe(400);
    const anonymous = await fetch(`${wavix.url}/v1/numbers`);
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toEqual({ error: true, message: 'Unauthenticated.' });
    expect(wavix.number(1)?.destination).toEqual([]);
  });
});
