#!/usr/bin/python3
"""Golden files for @modaflow/ops-fusion, computed with pandas 1.5 / numpy (Debian python3-pandas).

Run from the package directory:  /usr/bin/python3 scripts/make-golden.py
Writes test/golden/*.json. Inputs are generated here (seeded), so the files hold inputs and outputs.
Large integers (ns timestamps) are written as strings so JSON keeps them exact.
"""
import json
import os

import numpy as np
import pandas as pd

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'golden')
os.makedirs(OUT, exist_ok=True)
BASE = 1403715273262142976  # an EuRoC-like ns epoch: keys need bigint (> 2^53)


def irregular(rng, n, step, base, dup_p=0.15):
    """Sorted int64 keys with jitter, exact duplicates (ties) and gaps."""
    d = rng.integers(0, 2 * step, size=n)
    d[rng.random(n) < dup_p] = 0  # duplicate keys
    return base + np.cumsum(d).astype(np.int64)


def nullable(x):
    return [None if (isinstance(v, float) and np.isnan(v)) else v for v in x]


def asof_cases():
    cases = []
    for seed in range(4):
        rng = np.random.default_rng(seed)
        nl, nr = 40 + seed * 7, 30 + seed * 5
        lk = irregular(rng, nl, 1000, BASE)
        rk = irregular(rng, nr, 1300, BASE - 500)
        # share some exact keys between sides so exact-match handling matters
        share = rng.choice(nl, size=6, replace=False)
        rk[rng.choice(nr, size=6, replace=False)] = lk[share]
        rk.sort()
        lg = rng.choice(['a', 'b', 'c'], size=nl)
        rg = rng.choice(['a', 'b', 'c'], size=nr)
        v = rng.normal(size=nr)
        v[rng.random(nr) < 0.2] = np.nan  # nulls in a right value column stay null
        left = pd.DataFrame({'t': lk, 'g': lg, 'lid': np.arange(nl)})
        right = pd.DataFrame({'t': rk, 'g': rg, 'rid': np.arange(nr), 'v': v})
        # tolerances at the edges: exactly some observed distances, and none
        dists = np.abs(lk[:, None] - rk[None, :]).min(axis=1)
        tols = [None, int(np.median(dists)), 0]
        for direction in ['backward', 'forward', 'nearest']:
            for tol in tols:
                for exact in [True, False]:
                    for by in [None, 'g']:
                        kw = dict(on='t', direction=direction, allow_exact_matches=exact)
                        if tol is not None:
                            kw['tolerance'] = tol
                        if by:
                            kw['by'] = by
                        m = pd.merge_asof(left, right if by else right.drop(columns=['g']), **kw)
                        # v (with its nulls) comes from the matched right row, so rid decides it all
                        cases.append({
                            'seed': seed, 'direction': direction, 'tolerance': tol, 'allowExactMatches': exact, 'by': by,
                            'rid': [None if np.isnan(x) else int(x) for x in m['rid'].astype(float)],
                        })
        cases_inputs = {
            'seed': seed,
            'left': {'t': [str(x) for x in lk], 'g': lg.tolist()},
            'right': {'t': [str(x) for x in rk], 'g': rg.tolist(), 'v': nullable(v.tolist())},
        }
        yield cases_inputs, [c for c in cases if c['seed'] == seed]
        cases = []


def float_key_case():
    rng = np.random.default_rng(99)
    lk = np.sort(rng.uniform(0, 10, 30)).round(3)
    rk = np.sort(np.concatenate([rng.uniform(0, 10, 20).round(3), lk[::5]]))
    right = pd.DataFrame({'x': rk, 'rid': np.arange(len(rk))})
    left = pd.DataFrame({'x': lk})
    out = {}
    for direction in ['backward', 'forward', 'nearest']:
        m = pd.merge_asof(left, right, on='x', direction=direction, tolerance=0.25)
        out[direction] = [None if np.isnan(x) else int(x) for x in m['rid'].astype(float)]
    return {'left': lk.tolist(), 'right': rk.tolist(), 'tolerance': 0.25, 'rid': out}


MAD_SCALE = 1.482602218505602


def zscore_cases():
    rng = np.random.default_rng(7)
    n = 200
    x = rng.normal(10, 2, n)
    x[rng.choice(n, 12, replace=False)] += rng.choice([-1, 1], 12) * rng.uniform(6, 15, 12)  # outliers
    x[rng.choice(n, 15, replace=False)] = np.nan  # nulls
    g = rng.choice(['a', 'b', 'c', 'd'], n)
    # tensors: 8 float32 values per row; the row value is their RMS
    t = (rng.normal(0, 1, (n, 8)) * rng.choice([1, 1, 1, 1, 1, 1, 1, 1, 1, 5], (n, 1))).astype(np.float32)
    rms = np.sqrt(np.mean(t.astype(np.float64) ** 2, axis=1))
    df = pd.DataFrame({'x': x, 'g': g, 'rms': rms})
    cases = []
    for col in ['x', 'rms']:
        for by in [None, 'g']:
            for robust in [False, True]:
                s = df[col]
                grp = s.groupby(df['g']) if by else None
                if robust:
                    med = grp.transform('median') if by else s.median()
                    dev = (s - med).abs()
                    mad = dev.groupby(df['g']).transform('median') if by else dev.median()
                    z = dev / (mad * MAD_SCALE)
                else:
                    mean = grp.transform('mean') if by else s.mean()
                    std = grp.transform('std') if by else s.std()
                    z = (s - mean).abs() / std
                for thr in [3.0, 2.0]:
                    keep = (z <= thr)  # NaN z (null value) -> dropped, as in df[z <= thr]
                    cases.append({'column': col, 'by': by, 'robust': robust, 'threshold': thr,
                                  'keep': [bool(k) for k in keep],
                                  'z': [None if np.isnan(v) else float('%.12g' % v) for v in z.astype(float)]})
    return {'x': nullable(x.tolist()), 'g': g.tolist(), 'tensor': t.tolist(), 'cases': cases}


def interp_cases():
    """numpy.interp of a 1 kHz-ish irregular stream (with duplicate times and NaN) at 30 Hz-ish times.

    numpy works on float64 offsets from BASE: on raw ns it would round times to 256 ns."""
    rng = np.random.default_rng(11)
    sk = irregular(rng, 120, 1_000_000, BASE, dup_p=0.05)
    tk = np.sort(rng.integers(int(sk[0]) - 5_000_000, int(sk[-1]) + 5_000_000, 40)).astype(np.int64)
    tk[3] = sk[10]  # an exact sample time
    tk[4] = sk[0]
    tk.sort()
    a = rng.normal(size=len(sk))
    a[rng.random(len(sk)) < 0.08] = np.nan
    vec = rng.normal(size=(len(sk), 3)).astype(np.float32)
    ok = ~np.isnan(a)
    # duplicates: numpy's search makes the last sample of a run of equal times the one used
    xs = (sk - BASE).astype(np.float64)
    xt = (tk - BASE).astype(np.float64)
    lin = np.interp(xt, xs[ok], a[ok])
    vlin = np.stack([np.interp(xt, xs, vec[:, j].astype(np.float64)) for j in range(3)], axis=1)
    # previous / nearest through merge_asof (nearest: pandas breaks ties toward backward)
    src = pd.DataFrame({'t': sk, 'a': a}).dropna()
    tgt = pd.DataFrame({'t': tk})
    prev = pd.merge_asof(tgt, src, on='t', direction='backward')['a']
    near = pd.merge_asof(tgt, src, on='t', direction='nearest')['a']
    return {
        'source': {'t': [str(x) for x in sk], 'a': nullable(a.tolist()), 'vec': vec.tolist()},
        'target': [str(x) for x in tk],
        'linear': lin.tolist(), 'vecLinear': vlin.tolist(),
        'previous': nullable(prev.astype(float).tolist()), 'nearest': nullable(near.astype(float).tolist()),
    }


def window_cases():
    """pandas rolling('<Δ>ns', closed='both') on a time-sorted stream with ties and NaN, per group."""
    rng = np.random.default_rng(5)
    n = 150
    t = irregular(rng, n, 700, BASE, dup_p=0.2)
    x = rng.normal(size=n)
    x[rng.random(n) < 0.1] = np.nan
    g = rng.choice(['a', 'b'], n)
    df = pd.DataFrame({'t': pd.to_datetime(t, unit='ns'), 'x': x, 'g': g})
    out = {'t': [str(v) for v in t], 'x': nullable(x.tolist()), 'g': g.tolist(), 'window': 2000, 'cases': {}}
    for by in [None, 'g']:
        res = {}
        # per group: roll each group's sub-frame (it keeps the original row index), then reassemble
        parts = [df[df['g'] == k] for k in sorted(set(g))] if by else [df]
        for agg in ['count', 'sum', 'mean', 'min', 'max']:
            r = pd.concat([p.rolling('2000ns', on='t', closed='both')['x'].agg(agg) for p in parts]).reindex(df.index)
            cnt = pd.concat([p.rolling('2000ns', on='t', closed='both')['x'].count() for p in parts]).reindex(df.index)
            vals = r.astype(float).tolist()
            if agg != 'count':
                vals = [None if c == 0 or np.isnan(v) else v for v, c in zip(vals, cnt.tolist())]
            res[agg] = vals
        out['cases']['g' if by else 'all'] = res
    return out


def main():
    groups = []
    for inputs, cases in asof_cases():
        groups.append({**inputs, 'cases': cases})
    data = {'pandas': pd.__version__, 'groups': groups, 'floatKeys': float_key_case()}
    with open(os.path.join(OUT, 'asof.json'), 'w') as f:
        json.dump(data, f, separators=(',', ':'))
    print('asof cases', sum(len(g['cases']) for g in groups))
    z = zscore_cases()
    with open(os.path.join(OUT, 'zscore.json'), 'w') as f:
        json.dump({'pandas': pd.__version__, **z}, f, separators=(',', ':'))
    print('zscore cases', len(z['cases']))
    with open(os.path.join(OUT, 'interp.json'), 'w') as f:
        json.dump({'numpy': np.__version__, **interp_cases()}, f, separators=(',', ':'))
    with open(os.path.join(OUT, 'window.json'), 'w') as f:
        json.dump({'pandas': pd.__version__, **window_cases()}, f, separators=(',', ':'))


if __name__ == '__main__':
    main()
