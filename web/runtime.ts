/**
 * Chooses onnxruntime-web's execution providers: WebGPU first when the browser has an
 * adapter, WebAssembly otherwise (and as fallback). Threads only in a cross-origin
 * isolated page (the server sends COOP/COEP), since they need SharedArrayBuffer; by
 * default as many as onnxruntime-web would take (up to 4), or ?threads=N.
 */
import { configureWebRuntime } from '../src/backends/onnxWeb.js';

interface GpuNavigator {
  gpu?: { requestAdapter(): Promise<unknown> };
}

export interface BackendInfo {
  readonly providers: readonly string[];
  readonly threads: number;
  readonly label: string;
}

export async function setUpRuntime(): Promise<BackendInfo> {
  const gpu = (navigator as unknown as GpuNavigator).gpu;
  const adapter = gpu ? await gpu.requestAdapter().catch(() => null) : null;
  const providers = adapter ? ['webgpu', 'wasm'] : ['wasm'];
  // ?threads=N overrides the default (N ≥ 1; without isolation only 1 is possible).
  const asked = Number(new URLSearchParams(location.search).get('threads'));
  const most = crossOriginIsolated ? 64 : 1;
  const threads =
    Number.isInteger(asked) && asked >= 1
      ? Math.min(asked, most)
      : Math.min(4, most, navigator.hardwareConcurrency || 1);
  await configureWebRuntime({
    wasmPaths: '/ort/',
    executionProviders: providers,
    numThreads: threads,
  });
  const label = adapter
    ? 'WebGPU (WebAssembly fallback)'
    : `WebAssembly, ${threads} thread${threads === 1 ? '' : 's'}${gpu ? ' (no WebGPU adapter)' : ' (no WebGPU in this browser)'}`;
  return { providers, threads, label };
}
