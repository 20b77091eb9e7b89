#!/usr/bin/python3
"""Reference results on the real IMU + camera streams, for scripts/check-streams.ts.

Usage: /usr/bin/python3 scripts/check-streams.py <streams dir>   → JSON on stdout.
The streams (EuRoC-style CSV: '#timestamp [ns]' header, CRLF) are read from where they live and
are never copied into the repository.
"""
import json
import os
import sys

import numpy as np
import pandas as pd

d = sys.argv[1] if len(sys.argv) > 1 else '/work/shared/data/streams'
imu = pd.read_csv(os.path.join(d, 'imu0.csv'))
cam = pd.read_csv(os.path.join(d, 'cam0.csv'))
imu = imu.rename(columns={imu.columns[0]: 't'})
cam = cam.rename(columns={cam.columns[0]: 't'})
imu['rid'] = np.arange(len(imu))
out = {'pandas': pd.__version__, 'imuRows': len(imu), 'camRows': len(cam)}
for direction in ['backward', 'forward', 'nearest']:
    m = pd.merge_asof(cam[['t']], imu[['t', 'rid']], on='t', direction=direction, tolerance=6_000_000)
    out[direction] = [None if np.isnan(x) else int(x) for x in m['rid'].astype(float)]
    # camera times coincide with IMU times, so the strict variant exercises the tie handling
    m = pd.merge_asof(cam[['t']], imu[['t', 'rid']], on='t', direction=direction, tolerance=6_000_000, allow_exact_matches=False)
    out[direction + 'Strict'] = [None if np.isnan(x) else int(x) for x in m['rid'].astype(float)]
base = int(min(imu['t'].min(), cam['t'].min()))
xs = (imu['t'] - base).astype(np.float64).to_numpy()
xt = (cam['t'] - base).astype(np.float64).to_numpy()
chans = list(imu.columns[1:7])
out['channels'] = chans
out['linear'] = [np.interp(xt, xs, imu[c].to_numpy()).tolist() for c in chans]
print(json.dumps(out))
