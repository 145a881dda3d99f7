import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { buildSync } from 'esbuild';

export interface HostChild {
  port: number;
  cpuMicros(): Promise<number>;
  /** The host's event-loop delay (ms) since the last reset. */
  loopDelay(reset?: boolean): Promise<{ p99Ms: number; maxMs: number }>;
  /** Memory after a full GC (the child runs with --expose-gc). */
  memory(): Promise<{ rss: number; heapUsed: number }>;
  /** The host's marks (`announceReady(port, marks)`): mark name -> id -> wall-clock ms. */
  marks(): Promise<Record<string, Record<string, number>>>;
  startProfile(): Promise<void>;
  /** The V8 CPU profile of the window since `startProfile`. */
  stopProfile(): Promise<unknown>;
  stop(): Promise<void>;
  child: ChildProcess;
}

/**
 * A host bundled as the worker image bundles its entry point (esbuild, no names kept), so that its
 * memory and CPU are those of production code rather than of a TypeScript loader's output.
 */
function bundle(name: string): string {
  // One level inside the repository, as the sources are: the one package left out (dynalite,
  // whose LevelDB binding cannot be bundled) resolves from node_modules, and paths the local
  // helpers take from __dirname (the example config) still lead to their files.
  const outfile = join(__dirname, '../.bench', `${name}.js`);
  buildSync({
    entryPoints: [join(__dirname, 'hosts', `${name}.ts`)],
    bundle: true,
    platform: 'node',
    target: `node${process.versions.node.split('.')[0]}`,
    external: ['dynalite'],
    outfile,
    logLevel: 'error',
  });
  return outfile;
}

/** Starts a benchmark host (`bench/hosts/<name>.ts`, bundled) in its own process and waits for READY. */
export async function spawnHost(name: string, env: NodeJS.ProcessEnv, nodeArgs: string[] = []): Promise<HostChild> {
  const child = spawn(process.execPath, ['--expose-gc', ...nodeArgs, bundle(name)], {
    cwd: join(__dirname, '..'),
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const [port, controlPort] = await new Promise<[number, number]>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      const ready = /READY (\d+) (\d+)/.exec(out);
      if (ready) resolve([Number(ready[1]), Number(ready[2])]);
    });
    child.once('exit', (code) => reject(new Error(`${name} exited with ${code}: ${out}`)));
  });
  const control = async (path = '/') => (await (await fetch(`http://127.0.0.1:${controlPort}${path}`)).json()) as { cpuMicros: number; rss: number; heapUsed: number; loopDelayP99Ms: number; loopDelayMaxMs: number };
  return {
    port,
    child,
    cpuMicros: async () => (await control()).cpuMicros,
    loopDelay: async (reset = false) => {
      const { loopDelayP99Ms, loopDelayMaxMs } = await control(reset ? '/loop/reset' : '/');
      return { p99Ms: loopDelayP99Ms, maxMs: loopDelayMaxMs };
    },
    memory: async () => control('/gc'),
    marks: async () => (await (await fetch(`http://127.0.0.1:${controlPort}/marks`)).json()) as Record<string, Record<string, number>>,
    startProfile: async () => void (await control('/profile/start')),
    stopProfile: async () => control('/profile/stop'),
    stop: async () => {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    },
  };
}
