import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { WORKER_HEALTH_PORT } from '../../core/runtime/contract';
import { LAMBDA_RUNTIME } from '../../lib/lambda-bundling';

const root = path.join(__dirname, '..', '..');
const dockerfile = readFileSync(path.join(root, 'service', 'Dockerfile'), 'utf8');
const instructions = dockerfile.split('\n').filter((line) => line.trim() && !line.trim().startsWith('#')).join('\n');

describe('service/Dockerfile', () => {
  it('builds in one stage on the builder\'s platform and runs the bundle in a slim Node stage', () => {
    const froms = [...instructions.matchAll(/^FROM (.+)$/gm)].map((m) => m[1]);
    expect(froms).toEqual([expect.stringMatching(/^--platform=\$BUILDPLATFORM node:\d+-slim AS build$/), expect.stringMatching(/^node:\d+-slim$/)]);
    expect(instructions).toMatch(/RUN npm ci --ignore-scripts/);
    expect(instructions).toMatch(/npx esbuild service\/main\.ts --bundle --platform=node --target=node\d+ \\\s+--outfile=dist\/worker\.js --sourcemap/);
    // The runtime stage has no RUN step: building it for arm64 on an x86 machine needs no emulation.
    expect(instructions.slice(instructions.lastIndexOf('FROM '))).not.toMatch(/^RUN /m);
  });

  it('runs the worker as the unprivileged node user, with source maps', () => {
    expect(instructions).toMatch(/^USER node$/m);
    expect(instructions).toMatch(/^CMD \["node", "--enable-source-maps", "dist\/worker\.js"\]$/m);
    expect(instructions).toMatch(new RegExp(`^EXPOSE ${WORKER_HEALTH_PORT}$`, 'm'));
  });

  it('uses the same Node major as the webhook Lambda', () => {
    const majors = new Set([...instructions.matchAll(/node:(\d+)-slim|--target=node(\d+)/g)].map((m) => m[1] ?? m[2]));
    const lambdaMajor = LAMBDA_RUNTIME.name.match(/^nodejs(\d+)\.x$/)![1];
    expect([...majors]).toEqual([lambdaMajor]);
  });

  it('has a build context of only what it copies', () => {
    const ignore = readFileSync(path.join(root, '.dockerignore'), 'utf8').split('\n').filter((line) => line && !line.startsWith('#'));
    expect(ignore).toEqual(['*', '!package.json', '!package-lock.json', '!tsconfig.json', '!core/', '!service/']);
    const copied = [...instructions.matchAll(/^COPY (?!--from)(.+) \S+$/gm)].flatMap((m) => m[1]!.split(' '));
    expect(copied.sort()).toEqual(['core', 'package-lock.json', 'package.json', 'service', 'tsconfig.json']);
  });
});
