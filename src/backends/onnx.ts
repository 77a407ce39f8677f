/**
 * The only module that imports onnxruntime-node: the Node Runtime of session.ts. It loads a
 * network from a file path, so the runtime resolves external data such as
 * `model.onnx_data` or `weights.pb` next to it.
 */
import * as ort from 'onnxruntime-node';
import { sessionLoader, type Runtime, type RuntimeSession } from './session.js';

export * from './session.js';

const nodeRuntime: Runtime = {
  create: async (path, opts) =>
    (await ort.InferenceSession.create(path, {
      executionProviders: ['cpu'],
      graphOptimizationLevel: 'all',
      executionMode: 'sequential',
      interOpNumThreads: 1,
      ...(opts.threads === undefined ? {} : { intraOpNumThreads: opts.threads }),
    })) as unknown as RuntimeSession,
  tensor: (f) => new ort.Tensor(f.type, f.data, [...f.dims]),
};

/** Load a model with onnxruntime-node and check it against a signature. */
export const loadSession = sessionLoader(nodeRuntime);
