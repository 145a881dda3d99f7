import { readFileSync } from 'node:fs';
import { join } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { url: string; functionName: string; lineNumber: number };
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface CpuShare {
  /** Fraction of busy samples whose innermost frame is in this project's own code. */
  ours: number;
  dependencies: number;
  node: number;
  /** The project's own functions that took the most time, with their share of busy time. */
  topOwn: { fn: string; share: number }[];
  /** The packages (or Node) that took the most time, with their share of busy time. */
  topPackages: { name: string; share: number }[];
}

/**
 * Splits a V8 CPU profile's busy time (idle excluded) by where the running code
 * lives: this project's files, `node_modules`, or Node itself (including GC).
 */
export function cpuShare(profileData: unknown, root: string): CpuShare {
  const profile = profileData as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const totals = { ours: 0, dependencies: 0, node: 0 };
  const own = new Map<string, number>();
  const packages = new Map<string, number>();
  profile.samples.forEach((id, i) => {
    const frame = byId.get(id)!.callFrame;
    const dt = profile.timeDeltas[i] ?? 0;
    if (frame.functionName === '(idle)' || frame.functionName === '(program)') return;
    const url = sourceFile(frame.url.replace('file://', ''), frame.lineNumber, root);
    if (url.startsWith(root) && !url.includes('/node_modules/')) {
      totals.ours += dt;
      const key = `${frame.functionName || '(anonymous)'} ${url.slice(root.length + 1)}`;
      own.set(key, (own.get(key) ?? 0) + dt);
    } else if (url.includes('/node_modules/')) {
      totals.dependencies += dt;
      const name = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)![1];
      packages.set(name, (packages.get(name) ?? 0) + dt);
    } else {
      totals.node += dt;
      const name = frame.url ? 'node' : `(${frame.functionName || 'native'})`;
      packages.set(name, (packages.get(name) ?? 0) + dt);
    }
  });
  const busy = totals.ours + totals.dependencies + totals.node;
  return {
    ours: totals.ours / busy,
    dependencies: totals.dependencies / busy,
    node: totals.node / busy,
    topOwn: [...own].sort((a, b) => b[1] - a[1]).slice(0, 5).map(([fn, t]) => ({ fn, share: t / busy })),
    topPackages: [...packages].sort((a, b) => b[1] - a[1]).slice(0, 6).map(([name, t]) => ({ name, share: t / busy })),
  };
}

const bundles = new Map<string, { line: number; path: string }[] | undefined>();

/**
 * The source file a frame's code came from. The hosts run as esbuild bundles, which mark where
 * each module begins with a `// path` line; a frame in a bundle is put back in its module.
 */
function sourceFile(url: string, line: number, root: string): string {
  if (!url.endsWith('.js') || url.includes('/node_modules/') || !url.startsWith('/')) return url;
  if (!bundles.has(url)) {
    const lines = readFileSync(url, 'utf8').split('\n');
    const starts = lines.flatMap((text, i) => {
      const module = /^\/\/ ((?:node_modules\/)?[\w@.\-/]+\.(?:[cm]?js|ts|json))$/.exec(text);
      return module ? [{ line: i, path: module[1] }] : [];
    });
    bundles.set(url, starts.length > 0 ? starts : undefined);
  }
  const starts = bundles.get(url);
  if (!starts) return url;
  let found: string | undefined;
  for (const start of starts) {
    if (start.line > line) break;
    found = start.path;
  }
  // Before the first module: esbuild's own helpers (module wrappers, export getters).
  return join(root, found ?? 'node_modules/(esbuild runtime)/');
}
