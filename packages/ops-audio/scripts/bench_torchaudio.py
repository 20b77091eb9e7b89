#!/usr/bin/python3
"""torchaudio side of benchmarks/src/audio.bench.ts: log-mel (16 kHz, n_fft 512, hop 160, 80 mels,
AmplitudeToDB top_db 80) and MFCC-13 (same mel settings) over the clips the TypeScript suite wrote
(raw float32, clips back to back), one clip at a time, with torch.set_num_threads(1).
Prints one JSON object: CPU and wall milliseconds per pass over all clips (median of `runs`)."""
import json, resource, sys, time
import numpy as np
import torch, torchaudio

path, n_clips, n_samples, runs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
torch.set_num_threads(int(sys.argv[5]) if len(sys.argv) > 5 else 1)
clips = torch.from_numpy(np.fromfile(path, dtype=np.float32).reshape(n_clips, 1, n_samples))
mel = torchaudio.transforms.MelSpectrogram(16000, n_fft=512, hop_length=160, n_mels=80)
db = torchaudio.transforms.AmplitudeToDB(top_db=80.0)
mfcc = torchaudio.transforms.MFCC(16000, n_mfcc=13, melkwargs=dict(n_fft=512, hop_length=160, n_mels=80))

def cpu_ms():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return (r.ru_utime + r.ru_stime) * 1000

def measure(f):
    for c in clips[:5]: f(c)
    cpus, walls = [], []
    with torch.inference_mode():
        for _ in range(runs):
            c0, w0 = cpu_ms(), time.perf_counter()
            for c in clips: f(c)
            cpus.append(cpu_ms() - c0); walls.append((time.perf_counter() - w0) * 1000)
    return {'cpuMs': sorted(cpus)[len(cpus) // 2], 'wallMs': sorted(walls)[len(walls) // 2]}

print(json.dumps({
    'torch': torch.__version__, 'torchaudio': torchaudio.__version__, 'threads': torch.get_num_threads(),
    'logmel': measure(lambda c: db(mel(c))),
    'mfcc13': measure(lambda c: mfcc(c)),
}))
