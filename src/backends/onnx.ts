/**
 * The only module that imports onnxruntime-node: the Node Runtime of session.ts. It loads a
 * network from a file path, so the runtime resolves external data such as
 * `model.onnx_data` or `weights.pb` next to it.
 */
import * as ort from 'onnxruntime-node';
import {
  OnnxSession,
  type Runtime,
  type RuntimeSession,
  type SessionOptions,
  type Signature,
} from './session.js';

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

/** Load `path` on onnxruntime-node and check it against `signature` (OnnxSession.open). */
export function loadSession(
  path: string,
  label: string,
  signature: Signature,
  opts: SessionOptions = {},
): Promise<OnnxSession> {
  return OnnxSession.open(nodeRuntime, path, label, signature, opts);
}
