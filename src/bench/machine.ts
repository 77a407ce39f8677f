/** The machine a benchmark ran on: absolute times mean something only with it named. */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { arch, availableParallelism, cpus, loadavg, platform, release, totalmem } from 'node:os';

export interface MachineInfo {
  readonly cpu: string;
  /** Logical cores as the OS reports them. */
  readonly cores: number;
  readonly availableParallelism: number;
  /** 1, 5 and 15 minute load averages at the start (a loaded machine measures slow). */
  readonly loadAverage: readonly number[];
  readonly memoryGiB: number;
  readonly os: string;
  readonly node: string;
  readonly onnxruntime: string;
  /** onnxruntime intra-op threads (null: the runtime's default, one per physical core). */
  readonly threads: number | null;
}

function onnxruntimeVersion(): string {
  try {
    const pkg = createRequire(import.meta.url).resolve('onnxruntime-node/package.json');
    return (JSON.parse(readFileSync(pkg, 'utf8')) as { version?: string }).version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

export function machineInfo(threads?: number): MachineInfo {
  const list = cpus();
  return {
    cpu: list[0]?.model.trim() ?? 'unknown',
    cores: list.length,
    availableParallelism: availableParallelism(),
    loadAverage: loadavg().map((v) => Math.round(v * 100) / 100),
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    os: `${platform()} ${release()} ${arch()}`,
    node: process.version,
    onnxruntime: onnxruntimeVersion(),
    threads: threads ?? null,
  };
}
