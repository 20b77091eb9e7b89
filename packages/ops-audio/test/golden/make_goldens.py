#!/usr/bin/python3
"""Golden vectors for @modaflow/ops-audio from torchaudio (run with Debian's /usr/bin/python3:
torch 1.13, torchaudio 0.13). Writes torchaudio-goldens.json next to this script.

    /usr/bin/python3 packages/ops-audio/test/golden/make_goldens.py

Per clip and config we keep the output shape, a few whole frames (first, middle, last) and a
per-frame summary over all frames (sum over bins), so the fixture stays small while every frame
is checked through its summary."""
import json, math, os, sys
import torch, torchaudio
import torchaudio.functional as AF
import torchaudio.transforms as T

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.normpath(os.path.join(HERE, '../../../../examples/data/dataset/audios'))
CLIPS = ['sample_001.wav', 'sample_006.wav', 'sample_011.wav']
FEATURE_CLIPS = ['sample_001.wav', 'sample_011.wav']

def r(x, d=7):
    return [float('%.*g' % (d, v)) for v in x]

def frames_of(y):  # y: (1, F, T) tensor
    y = y[0]
    T_ = y.shape[-1]
    idx = sorted(set([0, T_ // 2])) if T_ else []
    return {
        'shape': list(y.shape),
        'frames': {str(t): r(y[:, t].tolist()) for t in idx},
        'frameSums': r(y.sum(dim=0).tolist(), 6),
    }

MEL_CONFIGS = {
    # name: (sample_rate, kwargs); 'native' runs on the 22050 Hz file, others on the 16 kHz resample.
    'mel_default_16k': (16000, {}),
    'mel_400_160_64': (16000, dict(n_fft=400, hop_length=160, n_mels=64)),
    'mel_512_160_80': (16000, dict(n_fft=512, hop_length=160, n_mels=80)),
    'mel_512_160_80_slaney': (16000, dict(n_fft=512, hop_length=160, n_mels=80, norm='slaney', mel_scale='slaney')),
    'mel_native_1024_256_64_mag': (22050, dict(n_fft=1024, hop_length=256, n_mels=64, power=1.0)),
    'mel_native_400_winlen_300': (22050, dict(n_fft=400, win_length=300, hop_length=200, n_mels=40)),
}
DB_CONFIGS = {'mel_512_160_80', 'mel_native_1024_256_64_mag'}
MFCC_CONFIGS = {
    'mfcc_default_16k': (16000, {}),
    'mfcc_13_512_160_80': (16000, dict(n_mfcc=13, melkwargs=dict(n_fft=512, hop_length=160, n_mels=80))),
    'mfcc_13_400_160_64_logmels': (16000, dict(n_mfcc=13, log_mels=True, melkwargs=dict(n_fft=400, hop_length=160, n_mels=64))),
}

out = {'torch': torch.__version__, 'torchaudio': torchaudio.__version__, 'clips': {}, 'fbanks': {}}
torch.set_num_threads(1)
for name in CLIPS:
    wav, sr = torchaudio.load(os.path.join(DATA, name))  # float32, int16 / 32768
    assert sr == 22050, sr
    clip = {'sampleRate': sr, 'length': wav.shape[-1], 'head': r(wav[0, :64].tolist(), 9)}
    w16 = AF.resample(wav, sr, 16000)
    n = w16.shape[-1]
    clip['resample16k'] = {
        'length': n,
        'head': r(w16[0, :128].tolist(), 9),
        'mid': r(w16[0, n // 2: n // 2 + 128].tolist(), 9),
        'tail': r(w16[0, -128:].tolist(), 9),
        'sumsq': float(w16.double().pow(2).sum()),
    }
    w8 = AF.resample(wav, sr, 8000)
    clip['resample8k'] = {'length': w8.shape[-1], 'mid': r(w8[0, 1000:1128].tolist(), 9)}
    w44 = AF.resample(wav, sr, 44100)
    clip['resample44k'] = {'length': w44.shape[-1], 'mid': r(w44[0, 5000:5128].tolist(), 9)}
    if name not in FEATURE_CLIPS:
        out['clips'][name] = clip
        continue
    for cname, (csr, kw) in MEL_CONFIGS.items():
        x = wav if csr == 22050 else w16
        m = T.MelSpectrogram(sample_rate=csr, **kw)(x)
        clip[cname] = frames_of(m)
        if cname not in DB_CONFIGS:
            continue
        db = T.AmplitudeToDB(stype='power' if kw.get('power', 2.0) == 2.0 else 'magnitude', top_db=80.0)(m)
        clip[cname + '_db80'] = frames_of(db)
    for cname, (csr, kw) in MFCC_CONFIGS.items():
        clip[cname] = frames_of(T.MFCC(sample_rate=csr, **kw)(w16))
    spec = T.Spectrogram(n_fft=512, hop_length=160)(w16)
    clip['spec_512_160'] = frames_of(spec)
    out['clips'][name] = clip

for fname, kw in {
    'htk_257_80_16k': dict(n_freqs=257, f_min=0.0, f_max=8000.0, n_mels=80, sample_rate=16000),
    'slaney_slaney_201_64_16k': dict(n_freqs=201, f_min=0.0, f_max=8000.0, n_mels=64, sample_rate=16000, norm='slaney', mel_scale='slaney'),
    'htk_slaney_513_40_22050': dict(n_freqs=513, f_min=20.0, f_max=11025.0, n_mels=40, sample_rate=22050, norm='slaney'),
}.items():
    fb = AF.melscale_fbanks(**kw)  # (n_freqs, n_mels)
    out['fbanks'][fname] = {'params': kw, 'colSums': r(fb.sum(dim=0).tolist()), 'colMax': r(fb.max(dim=0).values.tolist()),
                            'col10': r(fb[:, 10].tolist())}

with open(os.path.join(HERE, 'torchaudio-goldens.json'), 'w') as f:
    json.dump(out, f, separators=(',', ':'))
print('wrote', os.path.getsize(os.path.join(HERE, 'torchaudio-goldens.json')), 'bytes')
