import type { Stats } from 'node:fs';
import { access, constants, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { CliError, EXIT } from './errors';

/**
 * Refuses an `--out` path that cannot be written, before any work is done, so a long export does
 * not fail at its end; says why in words rather than as an errno.
 */
export async function checkOutPath(path: string, exampleName: string): Promise<void> {
  const problem = await whyNotWritable(path, exampleName);
  if (problem) throw new CliError(`cannot write --out ${path}: ${problem} (nothing was written)`, EXIT.usage);
}

/** Writes the whole file; `checkOutPath` has said it can be written. */
export async function writeOutFile(path: string, text: string): Promise<void> {
  try {
    await writeFile(path, text);
  } catch (err) {
    throw new CliError(`cannot write --out ${path}: ${(err as Error).message}`, EXIT.failure);
  }
}

async function whyNotWritable(path: string, exampleName: string): Promise<string | undefined> {
  const file = await statIfThere(path);
  if (file?.isDirectory()) return `it is a directory; name a file in it, e.g. ${join(path, exampleName)}`;
  const dir = dirname(path);
  const parent = await statIfThere(dir);
  if (!parent) return `the directory ${dir} does not exist; create it or choose another path`;
  if (!parent.isDirectory()) return `${dir} is not a directory`;
  try {
    await access(file ? path : dir, constants.W_OK);
  } catch {
    return file ? 'the file is read-only for you' : `you may not create files in ${dir}`;
  }
  return undefined;
}

/** The path's stats, or undefined when nothing is there (a missing directory on the way included). */
async function statIfThere(path: string): Promise<Stats | undefined> {
  try {
    return await stat(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw new CliError(`cannot write --out ${path}: ${(err as Error).message}`, EXIT.usage);
  }
}
