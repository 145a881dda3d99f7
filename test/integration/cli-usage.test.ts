import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, ROOT } from '../support/cli';

/** What the CLI says about itself and about arguments it cannot use, before it touches any data. */
describe('switchboard help, version and bad arguments', () => {
  it.each([
    [['help', 'numbers', 'put'], 'Usage: switchboard numbers put [options] <number>', '--file <path>'],
    [['help', 'calls', 'export'], 'Usage: switchboard calls export [options]', '--format <format>'],
    [['help', 'numbers'], 'Usage: switchboard numbers [options] [command]', 'validate [options]'],
    [['help'], 'Usage: switchboard [options] [command]', 'help [command...]'],
  ])('`switchboard %s` prints the help of that command', async (args, usage, detail) => {
    const result = await runCli(args);
    expect(result.code).toBe(0);
    expect(result.stdout.split('\n')[0]).toBe(usage);
    expect(result.stdout).toContain(detail);
  });

  it('names an unknown command in help, with where to look', async () => {
    const result = await runCli(['help', 'numbers', 'nope']);
    expect(result).toMatchObject({ code: 2, stdout: '', stderr: 'error: unknown command "numbers nope": `switchboard help numbers` lists its commands\n' });
  });

  it.each([['--version'], ['-V']])('prints its version with %s', async (flag) => {
    const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    expect(await runCli([flag])).toMatchObject({ code: 0, stdout: `${version}\n` });
  });

  it.each([
    ['notaurl'],
    ['localhost:8000'],
  ])('refuses --endpoint %s, saying what it expects', async (endpoint) => {
    const result = await runCli(['numbers', 'list', '--endpoint', endpoint]);
    expect(result).toMatchObject({ code: 2, stdout: '' });
    expect(result.stderr).toBe(`error: --endpoint "${endpoint}" is not a URL: expected http://<host>:<port> or https://<host>, e.g. http://127.0.0.1:8000 while \`switchboard dev\` runs\n`);
  });

  it('refuses an AWS_ENDPOINT_URL_DYNAMODB that is not a URL, naming the variable', async () => {
    const result = await runCli(['calls', 'list'], { env: { AWS_ENDPOINT_URL_DYNAMODB: 'notaurl' } });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^error: AWS_ENDPOINT_URL_DYNAMODB "notaurl" is not a URL: expected http:\/\/<host>:<port> or https:\/\/<host>, e.g. http:\/\/127.0.0.1:8000/);
  });
});
