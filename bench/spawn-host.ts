import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

export interface HostChild {
  port: number;
  cpuMicros(): Promise<number>;
  /** The host's event-loop delay (ms) since the last reset. */
  loopDelay(reset?: boolean): Promise<{ p99Ms: number; maxMs: number }>;
  /** Memory after a full GC (the child runs with --expose-gc). */
  memory(): Promise<{ rss: number; heapUsed: number }>;
  startProfile(): Promise<void>;
  /** The V8 CPU profile of the window since `startProfile`. */
  stopProfile(): Promise<unknown>;
  stop(): Promise<void>;
  child: ChildProcess;
}

/** Starts a benchmark host (`bench/hosts/<name>.ts`) in its own process and waits for READY. */
export async function spawnHost(name: string, env: NodeJS.ProcessEnv, nodeArgs: string[] = []): Promise<HostChild> {
  const child = spawn(process.execPath, ['--expose-gc', ...nodeArgs, '-r', 'tsx/cjs', join(__dirname, 'hosts', `${name}.ts`)], {
    cwd: join(__dirname, '..'),
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...env },
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
    startProfile: async () => void (await control('/profile/start')),
    stopProfile: async () => control('/profile/stop'),
    stop: async () => {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    },
  };
}
