"""Write models/bench/matmul.onnx: C = A @ B for float32 matrices (the SGEMM probe of
`diffier bench speed`).

    /usr/bin/python3 training/make_matmul.py

The graph is one MatMul node with symbolic sizes (A [m, k], B [k, n] -> C [m, n]), so the
benchmark chooses the size (1024 x 1024 x 1024 by default) and times onnxruntime's own
matrix multiply: the machine's practical float32 peak as the runtime sees it, the number
the UNet's achieved FLOP/s is compared with. No weights: the file is a few hundred bytes.
Needs only the `onnx` Python package (Debian: python3-onnx); no torch.
"""

import os

import onnx
from onnx import TensorProto, helper

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..'))
OUT = os.path.join(REPO_ROOT, 'models', 'bench', 'matmul.onnx')


def main() -> None:
    a = helper.make_tensor_value_info('a', TensorProto.FLOAT, ['m', 'k'])
    b = helper.make_tensor_value_info('b', TensorProto.FLOAT, ['k', 'n'])
    c = helper.make_tensor_value_info('c', TensorProto.FLOAT, ['m', 'n'])
    graph = helper.make_graph([helper.make_node('MatMul', ['a', 'b'], ['c'])], 'sgemm_probe', [a, b], [c])
    model = helper.make_model(
        graph, producer_name='diffier training/make_matmul.py', opset_imports=[helper.make_opsetid('', 17)]
    )
    model.ir_version = 8  # readable by every onnxruntime >= 1.10
    onnx.checker.check_model(model)
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    onnx.save(model, OUT)
    print(f'wrote {os.path.relpath(OUT, REPO_ROOT)} ({os.path.getsize(OUT)} bytes)')


if __name__ == '__main__':
    main()
