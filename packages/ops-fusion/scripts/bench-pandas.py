#!/usr/bin/python3
"""pandas/numpy peer of benchmarks/src/fusion.bench.ts, on exactly the same data.

/usr/bin/python3 packages/ops-fusion/scripts/bench-pandas.py DATA_DIR [RUNS] [STREAMS_DIR or -]

DATA_DIR holds the raw little-endian files the TypeScript benchmark wrote (it runs this script
itself): x.f32 (z-score values), src_t.i64 / src_y.f64 (the 1 kHz stream), tgt_t.i64 (the 30 Hz
stream). Prints one JSON object per case: wall ms, CPU ms (process_time) and minor page faults
of every timed run after a warm-up, plus a check of the result (kept rows / checksums) that the benchmark compares
with its own, so both sides provably did the same work.
"""
import json
import os
import resource
import sys
import time

import numpy as np
import pandas as pd

DATA = sys.argv[1]
RUNS = int(sys.argv[2]) if len(sys.argv) > 2 else 5
STREAMS = sys.argv[3] if len(sys.argv) > 3 else '/work/shared/data/streams'


def timed(name, fn, check, runs=RUNS):
    r = fn()
    wall, cpu, faults = [], [], []
    for _ in range(runs):
        f0 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        t0, c0 = time.perf_counter(), time.process_time()
        r = fn()
        wall.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
        faults.append(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - f0)
    print(json.dumps({'name': name, 'wall': wall, 'cpu': cpu, 'faults': faults, 'check': check(r)}), flush=True)


def load(name, dtype):
    return np.fromfile(os.path.join(DATA, name), dtype=dtype)


print(json.dumps({'versions': {'pandas': pd.__version__, 'numpy': np.__version__}}), flush=True)

if STREAMS != '-' and os.path.exists(os.path.join(STREAMS, 'imu0.csv')):
    imu = pd.read_csv(os.path.join(STREAMS, 'imu0.csv'))
    cam = pd.read_csv(os.path.join(STREAMS, 'cam0.csv'))
    imu = imu.rename(columns={imu.columns[0]: 't'})
    cam = cam.rename(columns={cam.columns[0]: 't'})[['t']]
    timed('asof-real', lambda: pd.merge_asof(cam, imu, on='t', direction='nearest', tolerance=6_000_000),
          lambda m: {'matched': int(m.iloc[:, 1].notna().sum())})

if os.path.exists(os.path.join(DATA, 'src_t.i64')):
    st, sy, tt = load('src_t.i64', '<i8'), load('src_y.f64', '<f8'), load('tgt_t.i64', '<i8')
    source = pd.DataFrame({'t': st, 'y': sy})
    target = pd.DataFrame({'t': tt})

    def asof_interp():
        # As-of join (backward, like the benchmark's engine pipeline) + numpy.interp on offsets
        # from the first source time (as fusion.interpolate does; exact below 2^52 ns).
        m = pd.merge_asof(target, source, on='t')
        base = st[0]
        m['y_lin'] = np.interp((tt - base).astype(np.float64), (st - base).astype(np.float64), sy)
        return m

    timed('asof-interp', asof_interp, lambda m: {
        'rows': int(len(m)), 'sum_y': float(np.nansum(m['y'].to_numpy())), 'sum_y_lin': float(m['y_lin'].sum()),
    })

if os.path.exists(os.path.join(DATA, 'x.f32')):
    x = pd.Series(load('x.f32', '<f4'))

    def zscore():
        return x[(x - x.mean()).abs() / x.std() <= 3]

    timed('zscore', zscore, lambda k: {'kept': int(len(k)), 'mean': float(x.mean()), 'std': float(x.std())})

    # Context, not the bar: the same filter on the bare numpy array (no index built for the kept
    # rows: pandas' x[mask] also materializes an Int64Index of the kept labels, 8 bytes per row).
    v = x.to_numpy()

    def zscore_numpy():
        return v[np.abs(v - v.mean()) / v.std(ddof=1) <= 3]

    timed('zscore-numpy', zscore_numpy, lambda k: {'kept': int(len(k))})
