import { WavixClient } from '../../core/wavix/wavix-client';
import { startWavixEmulator, type WavixEmulator } from '../../local/wavix-emulator';
import { runCli } from '../support/cli';

const KEY = 'wavix-test-key';
const READ_ONLY = 'wavix-read-only-key';
const SIP = 'proj_XnGzQBp38qGPqjV5GaYVXVGY@sip.api.openai.com;transport=tls';

describe('switchboard wavix (against the Wavix emulator)', () => {
  let wavix: WavixEmulator;
  const cli = (args: string[], key = KEY) => runCli(['wavix', ...args], { env: { WAVIX_API_KEY: key, WAVIX_API_URL: wavix.url } });

  beforeEach(async () => {
    wavix = await startWavixEmulator({
      apiKey: KEY,
      readOnlyKey: READ_ONLY,
      numbers: [
        { id: 101, number: '17134810111', label: 'Support', status: 'active', channels: 10, destination: [{ id: 9, destination: '+17135550100', priority: 1, transport: 4 }] },
        { id: 102, number: '17134810122', label: 'Sales', status: 'active', channels: 4, destination: [{ id: 10, destination: SIP, priority: 1, transport: 1 }] },
        // 60 numbers that the search for 17134819999 also matches push it onto page 2.
        ...Array.from({ length: 60 }, (_, i) => ({ id: 200 + i, number: `17134819999${String(i).padStart(2, '0')}`, destination: [] })),
        { id: 999, number: '17134819999', label: 'Overflow', destination: [] },
      ],
    });
  });
  afterEach(() => wavix.close());

  const patches = () => wavix.requests().filter((r) => r.method === 'PATCH');

  it('routes a number to the project, printing the routing before and after', async () => {
    const result = await cli(['route', '+1 (713) 481-0111', '--project', 'proj_XnGzQBp38qGPqjV5GaYVXVGY']);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      `+17134810111 (Wavix id 101, Support)\n  before: PSTN +17135550100 (priority 1)\n  after:  SIP URI ${SIP} (priority 1)\n`,
    );
    expect(patches()).toEqual([{ method: 'PATCH', path: '/v1/numbers/101', body: { destinations: [{ destination: SIP, priority: 1, transport: 1 }] } }]);
    expect(wavix.number(101)?.destination).toEqual([expect.objectContaining({ destination: SIP, transport: 1 })]);
  });

  it('changes nothing when the number already points at the project', async () => {
    const result = await cli(['route', '+17134810122', '--project', 'proj_XnGzQBp38qGPqjV5GaYVXVGY']);
    expect(result.stdout).toContain(`already routed to ${SIP}; nothing changed`);
    expect(patches()).toEqual([]);
  });

  it('finds a number on a later page of the search', async () => {
    const result = await cli(['route', '+17134819999', '--project', 'proj_XnGzQBp38qGPqjV5GaYVXVGY', '--json']);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ number: '+17134819999', before: [], after: [expect.objectContaining({ destination: SIP, transport: 1, priority: 1 })] });
    expect(wavix.requests().filter((r) => r.path.startsWith('/v1/numbers?')).map((r) => r.path)).toEqual([
      '/v1/numbers?search=17134819999&page=1&per_page=50',
      '/v1/numbers?search=17134819999&page=2&per_page=50',
    ]);
  });

  it.each<[string, string[], string | undefined, number, RegExp]>([
    ['a number the account does not have', ['route', '+14155550100', '--project', 'proj_abc'], KEY, 3, /^error: number \+14155550100 is not in this Wavix account/],
    ['a project id that is not one', ['route', '+17134810111', '--project', 'abc'], KEY, 2, /^error: "abc" is not an OpenAI project id/],
    ['no API key', ['route', '+17134810111', '--project', 'proj_abc'], '', 2, /^error: WAVIX_API_KEY is not set/],
    ['a wrong API key', ['status', '+17134810111'], 'nope', 1, /^error: Wavix refused the API key \(401: Unauthenticated\.\): check WAVIX_API_KEY/],
    ['a key without permission', ['route', '+17134810111', '--project', 'proj_abc'], READ_ONLY, 1, /^error: the Wavix API key lacks permission for PATCH \/v1\/numbers\/101 \(403: This action is unauthorized\.\)/],
  ])('fails clearly on %s, changing nothing', async (_, args, key, code, message) => {
    const result = await cli(args, key);
    expect(result.code).toBe(code);
    expect(result.stderr).toMatch(message);
    expect(wavix.number(101)?.destination).toEqual([expect.objectContaining({ transport: 4 })]);
  });

  it('passes on what Wavix says when it refuses a change (422)', async () => {
    await expect(new WavixClient(KEY, wavix.url).setSipUriDestination(101, 'not a sip uri')).rejects.toThrow(
      'Wavix answered 422 to PATCH /v1/numbers/101: The given data was invalid. {"destinations.0.destination":["The destination must be a SIP URI (user@host)."]}',
    );
    expect(wavix.number(101)?.destination).toEqual([expect.objectContaining({ transport: 4 })]);
  });

  it('shows a number\'s routing and whether it reaches an OpenAI project', async () => {
    const routed = await cli(['status', '17134810122']);
    expect(routed.stdout).toBe(
      `+17134810122 (Wavix id 102, Sales)\n  status:   active, 4 channels\n  routing:  SIP URI ${SIP} (priority 1)\n  OpenAI:   routed to project proj_XnGzQBp38qGPqjV5GaYVXVGY\n`,
    );
    const other = await cli(['status', '+17134810111']);
    expect(other.stdout).toContain('OpenAI:   not routed to an OpenAI project (switchboard wavix route <number> --project <proj_id>)');
    const asJson = JSON.parse((await cli(['status', '+17134810111', '--json'])).stdout);
    expect(asJson).toMatchObject({ id: 101, number: '17134810111', destination: [{ transport: 4 }] });
  });
});
