#!/usr/bin/python3
"""pandas/numpy timings for the shapes of benchmarks/src/fusion.bench.ts (reported separately).

/usr/bin/python3 packages/ops-fusion/scripts/bench-pandas.py [streams dir]
Median of 5 runs after a warm-up, in ms. Data is generated here with the same shapes and rates
(not the same values) as the TypeScript benchmark.
"""
import os
import sys
import time

import numpy as np
import pandas as pd

STREAMS = sys.argv[1] if len(sys.argv) > 1 else '/work/shared/data/streams'
BASE = 1403715273262142976


def timed(fn, runs=5):
    fn()
    ts = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        ts.append((time.perf_counter() - t0) * 1000)
    return float(np.median(ts))


def stamps(n, step, seed):
    rng = np.random.default_rng(seed)
    d = np.round(step * (0.6 + 0.8 * rng.random(n))).astype(np.int64)
    d[rng.random(n) <= 0.02] = 0
    return BASE + np.cumsum(d)


out = []
if os.path.exists(os.path.join(STREAMS, 'imu0.csv')):
    imu = pd.read_csv(os.path.join(STREAMS, 'imu0.csv'))
    cam = pd.read_csv(os.path.join(STREAMS, 'cam0.csv'))
    imu = imu.rename(columns={imu.columns[0]: 't'})
    cam = cam.rename(columns={cam.columns[0]: 't'})[['t']]
    out.append(('merge_asof nearest 6ms: cam0 (300) onto imu0 (3000)',
                timed(lambda: pd.merge_asof(cam, imu, on='t', direction='nearest', tolerance=6_000_000))))

N = 1_000_000
left = pd.DataFrame({'t': stamps(N, 1_000_000, 1)})
right = pd.DataFrame({'t': stamps(N, 1_000_000, 2), 'v': np.sin(np.arange(N) / 100)})
out.append(('merge_asof nearest 0.5ms: 1M x 1M', timed(lambda: pd.merge_asof(left, right, on='t', direction='nearest', tolerance=500_000))))

st = stamps(N, 1_000_000, 3)
tt = stamps(N // 33, 33_333_333, 4)
y = np.cos(np.arange(N) / 50)
out.append(('np.interp: 1M-row 1 kHz stream at 30 Hz times', timed(lambda: np.interp((tt - BASE).astype(np.float64), (st - BASE).astype(np.float64), y))))

rng = np.random.default_rng(7)
x = pd.Series((rng.random(5_000_000) * 10).astype(np.float32))
out.append(('z-score filter 5M float32: x[(x - x.mean()).abs() / x.std() <= 3]', timed(lambda: x[(x - x.mean()).abs() / x.std() <= 3])))

print(f'pandas {pd.__version__}, numpy {np.__version__}')
for name, ms in out:
    print(f'{ms:10.2f} ms  {name}')
