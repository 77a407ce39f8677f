/**
 * onnx.ts for the browser bundle (web/build.mjs swaps it in): the same exports over
 * onnxruntime-web, which fetches the model from its URL path and runs it on WebAssembly,
 * or on WebGPU where the page asks for it and the browser has it.
 */
import type * as OrtWeb from 'onnxruntime-web';
import { sessionLoader, type Runtime, type RuntimeSession } from './session.js';

export * from './session.js';

export interface WebRuntimeOptions {
  /** Where onnxruntime-web's .wasm/.mjs files are served (a URL path ending in "/"). */
  readonly wasmPaths: string;
  /** Tried in order by onnxruntime-web, e.g. ['webgpu', 'wasm']. */
  readonly executionProviders: readonly string[];
  /** WebAssembly threads; more than 1 needs a cross-origin isolated page. */
  readonly numThreads: number;
}

let providers: readonly string[] = ['wasm'];
let ort: typeof OrtWeb | undefined;

/**
 * Load onnxruntime-web and set it up; call once, before any model is loaded. Without
 * WebGPU the WebAssembly-only build is loaded: its 14 MB module compiles in half the time
 * of the WebGPU-capable one and ran the embedded model faster here (docs/results.md §7).
 */
export async function configureWebRuntime(opts: WebRuntimeOptions): Promise<void> {
  ort = opts.executionProviders.includes('webgpu')
    ? await import('onnxruntime-web/webgpu')
    : await import('onnxruntime-web/wasm');
  ort.env.wasm.wasmPaths = opts.wasmPaths;
  ort.env.wasm.numThreads = opts.numThreads;
  providers = [...opts.executionProviders];
}

/** A macrotask turn, so that the page paints progress and sees a cancel between calls. */
const yieldToPage = () => new Promise<void>((r) => setTimeout(r, 0));

function loaded(): typeof OrtWeb {
  if (!ort) throw new Error('configureWebRuntime must run before a model is loaded');
  return ort;
}

const webRuntime: Runtime = {
  create: async (path) => {
    const session = await loaded().InferenceSession.create(path, {
      executionProviders: [...providers],
      graphOptimizationLevel: 'all',
      executionMode: 'sequential',
    });
    return {
      inputMetadata: session.inputMetadata,
      outputMetadata: session.outputMetadata,
      run: async (feeds, fetches) => {
        await yieldToPage();
        return (await session.run(
          feeds as Record<string, OrtWeb.Tensor>,
          fetches,
        )) as unknown as Record<string, OrtWeb.Tensor>;
      },
      release: () => session.release(),
    } as RuntimeSession;
  },
  tensor: (f) => new (loaded().Tensor)(f.type, f.data, [...f.dims]),
};

/** Load a model with onnxruntime-web and check it against a signature. */
export const loadSession = sessionLoader(webRuntime);
