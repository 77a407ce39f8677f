/** Runs the built `diffier` CLI as a user would, for the command-line tests. */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { runCli } from '../../src/cli/program.js';
import { TABLE_WIDTH } from '../../src/cli/table.js';
import { packageRoot } from '../../src/models/embedded.js';

export const CLI = join(packageRoot(), 'dist', 'src', 'cli', 'main.js');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Throw unless every line a command printed fits TABLE_WIDTH columns (counted in code
 * points), bar the paths of the files it wrote (a path is as long as it is). Every CLI run
 * of the tests is checked, so every command's table is.
 */
export function assertFits(stdout: string, what: string): void {
  const lines = stdout.split('\n');
  const listed = lines.findIndex((l) => /^wrote \d+ files?:$/.test(l));
  const printed = listed === -1 ? lines : lines.slice(0, listed);
  for (const line of printed) {
    if ([...line].length > TABLE_WIDTH)
      throw new Error(`${what}: a line is ${[...line].length} columns wide:\n${line}`);
  }
}

/**
 * `node dist/src/cli/main.js …args` in `cwd` (default: the package root); never throws for
 * the command's exit code. Output wider than TABLE_WIDTH fails the test.
 */
export async function cli(args: string[], cwd = packageRoot()): Promise<CliResult> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [CLI, ...args], { cwd });
    assertFits(stdout, `diffier ${args.slice(0, 2).join(' ')}`);
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/**
 * The same command line run in this process (the validation and error paths of the binary,
 * without starting node): the exit code and what went to stderr through the CLI's error
 * output. Output the commands print themselves (tables, progress) is not captured.
 */
export async function cliInProcess(args: string[]): Promise<CliResult> {
  let stderr = '';
  const code = await runCli(args, (text) => (stderr += text));
  return { code, stdout: '', stderr };
}
