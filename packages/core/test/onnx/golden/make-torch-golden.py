"""Golden outputs of onnx.tinyImageEncoder({ seed: 31, size: 8 }) computed by PyTorch.

The weights and the input are regenerated here with the same seeded generator the TypeScript side
uses (mulberry32, then (u * 2 - 1) * scale rounded to float32, in WeightBag order), so nothing but
the outputs needs committing. Run: /usr/bin/python3 make-torch-golden.py  (torch 1.13, CPU).
"""
import json
import math
import os

import numpy as np
import torch

M = 0xFFFFFFFF


def mulberry32(seed):
    a = seed & M

    def nxt():
        nonlocal a
        a = (a + 0x6D2B79F5) & M
        t = a
        t = ((t ^ (t >> 15)) * (t | 1)) & M
        t = (t ^ ((t + (((t ^ (t >> 7)) * (t | 61)) & M)) & M)) & M
        return ((t ^ (t >> 14)) & M) / 4294967296

    return nxt


def weights(rand, n, scale):
    return np.array([(rand() * 2 - 1) * scale for _ in range(n)], dtype=np.float64).astype(np.float32)


SEED, C, C1, C2, DIM, SIZE, BATCH, INPUT_SEED = 31, 3, 8, 16, 16, 8, 2, 77
rand = mulberry32(SEED)
w = {}
for name, dims, scale in [
    ("conv1.weight", [C1, C, 3, 3], 1 / math.sqrt(C * 9)),
    ("conv1.bias", [C1], 0.1),
    ("conv2.weight", [C2, C1, 3, 3], 1 / math.sqrt(C1 * 9)),
    ("conv2.bias", [C2], 0.1),
    ("fc.weight", [DIM, C2], 1 / math.sqrt(C2)),
    ("fc.bias", [DIM], 0.1),
]:
    w[name] = torch.from_numpy(weights(rand, int(np.prod(dims)), scale).reshape(dims))

xr = mulberry32(INPUT_SEED)
x = torch.from_numpy(weights(xr, BATCH * C * SIZE * SIZE, 1.0).reshape(BATCH, C, SIZE, SIZE))

with torch.no_grad():
    conv1 = torch.nn.Conv2d(C, C1, 3, stride=1, padding=1)
    conv2 = torch.nn.Conv2d(C1, C2, 3, stride=2, padding=1)
    fc = torch.nn.Linear(C2, DIM)
    conv1.weight.copy_(w["conv1.weight"]); conv1.bias.copy_(w["conv1.bias"])
    conv2.weight.copy_(w["conv2.weight"]); conv2.bias.copy_(w["conv2.bias"])
    fc.weight.copy_(w["fc.weight"]); fc.bias.copy_(w["fc.bias"])
    h = torch.relu(conv2(torch.relu(conv1(x))))
    y = fc(torch.flatten(torch.nn.functional.adaptive_avg_pool2d(h, 1), 1))

out = {
    "model": "onnx.tinyImageEncoder({ seed: 31, size: 8 })",
    "input": "seededWeights(seededUniform(77), 2*3*8*8, 1) as [2, 3, 8, 8]",
    "torch": torch.__version__,
    "checksum_conv1_weight_sum": float(w["conv1.weight"].double().sum()),
    "checksum_input_sum": float(x.double().sum()),
    "embedding": y.numpy().astype(float).tolist(),
}
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "tiny-cnn-torch.json")
with open(path, "w") as f:
    json.dump(out, f, indent=1)
print("wrote", path)
