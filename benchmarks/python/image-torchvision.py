#!/usr/bin/python3
"""torchvision baseline of benchmarks/src/image.bench.ts: decode (PIL) + Resize(256) + CenterCrop(224)
+ ToTensor + Normalize(ImageNet) through a DataLoader (num_workers=2, batch 32).

Usage: /usr/bin/python3 benchmarks/python/image-torchvision.py <dir of .jpg> [epochs]
Prints one JSON line: {"images": n, "epochs": e, "seconds": [...], "images_per_sec_median": x,
"cpu_ms_per_image": y} (CPU time of the main process and both workers over the timed epochs).
"""
import json, os, sys, time
import torch
from PIL import Image
import torchvision.transforms as T

root = sys.argv[1]
epochs = int(sys.argv[2]) if len(sys.argv) > 2 else 3
paths = sorted(os.path.join(root, f) for f in os.listdir(root) if f.endswith('.jpg'))
tf = T.Compose([T.Resize(256), T.CenterCrop(224), T.ToTensor(), T.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])])


class Images(torch.utils.data.Dataset):
    def __len__(self):
        return len(paths)

    def __getitem__(self, i):
        with open(paths[i], 'rb') as f:
            return tf(Image.open(f).convert('RGB'))


loader = torch.utils.data.DataLoader(Images(), batch_size=32, num_workers=2, persistent_workers=True)
for _ in loader:  # warm-up epoch: starts the workers
    pass
TICK = os.sysconf('SC_CLK_TCK')


def cpu_seconds(pids):
    """utime + stime of these processes (from /proc), in seconds."""
    total = 0
    for pid in pids:
        with open(f'/proc/{pid}/stat') as f:
            fields = f.read().rsplit(')', 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / TICK


pids = [os.getpid()] + [w.pid for w in loader._iterator._workers]
secs = []
c0 = cpu_seconds(pids)
for _ in range(epochs):
    t0 = time.perf_counter()
    n = sum(b.shape[0] for b in loader)
    secs.append(time.perf_counter() - t0)
cpu = cpu_seconds(pids) - c0
s = sorted(secs)[len(secs) // 2]
print(json.dumps({'images': n, 'epochs': epochs, 'seconds': secs, 'images_per_sec_median': n / s, 'cpu_ms_per_image': cpu * 1000 / (n * epochs)}))
