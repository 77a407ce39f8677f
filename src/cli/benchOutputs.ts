/**
 * A bench run's files. Their folders are checked before any work; the files are gathered
 * while the run finishes and committed together at the end, after checking that none of
 * them (their names are known only then) is an input of the run — so a failed or
 * interrupted run leaves every old file as it was.
 */
import { join } from 'node:path';
import { checkOutputs, commitOutputs, jsonText, type OutputFile } from '../io/atomicWrite.js';

/** What a bench command may write: files (JSON, markdown) and folders of images, plots, sounds. */
export interface BenchOutputPaths {
  readonly files?: readonly (string | undefined)[];
  readonly dirs?: readonly (string | undefined)[];
}

/** Before any work: each output is writable, none is another and none is an input. */
export async function checkBenchOutputs(
  paths: BenchOutputPaths,
  inputs: readonly string[],
): Promise<void> {
  const given = (list: readonly (string | undefined)[] = []) =>
    list.filter((p): p is string => p !== undefined);
  const probes = given(paths.dirs).map((d) => join(d, 'x.out'));
  await checkOutputs([...given(paths.files), ...probes], inputs);
}

export class BenchOutputs {
  private readonly files: OutputFile[] = [];

  constructor(private readonly inputs: readonly string[]) {}

  add(path: string, content: string | Uint8Array): void {
    this.files.push({ path, content });
  }

  addJson(path: string | undefined, value: () => unknown): void {
    if (path) this.add(path, jsonText(value()));
  }

  addAll(dir: string | undefined, files: Iterable<readonly [string, string | Uint8Array]>): void {
    if (!dir) return;
    for (const [name, content] of files) this.add(join(dir, name), content);
  }

  /** Check every final name, then write them all together; returns the paths written. */
  async commit(): Promise<readonly string[]> {
    const paths = this.files.map((f) => f.path);
    await checkOutputs(paths, this.inputs);
    await commitOutputs(this.files);
    return paths;
  }
}
