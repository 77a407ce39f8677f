"""The log-mel features of the TTS model (numpy; src/audio/mel.ts is the same maths).

- 22050 Hz mono, samples scaled to [-1, 1) (int16 / 32768)
- STFT: n_fft 1024, hop 256, window 1024 periodic Hann, centred frames
  (reflect padding of n_fft/2 on both sides), so T = 1 + floor(N / 256) frames
- magnitude |STFT| (power 1), 513 bins
- 80 mel filters, Slaney mel scale (linear below 1 kHz, log above), Slaney area
  normalisation (2 / (f_hi - f_lo)), fmin 0 Hz, fmax 8000 Hz (librosa's default
  `htk=False, norm='slaney'` filters)
- log-mel = ln(max(mel, 1e-5))
"""

import numpy as np

SR, N_FFT, HOP, N_MELS, FMIN, FMAX, LOG_FLOOR = 22050, 1024, 256, 80, 0.0, 8000.0, 1e-5


def hz_to_mel(f):
    f = np.asarray(f, dtype=np.float64)
    f_sp = 200.0 / 3
    min_log_hz, min_log_mel, logstep = 1000.0, 1000.0 / f_sp, np.log(6.4) / 27.0
    return np.where(f >= min_log_hz, min_log_mel + np.log(np.maximum(f, 1e-10) / min_log_hz) / logstep, f / f_sp)


def mel_to_hz(m):
    m = np.asarray(m, dtype=np.float64)
    f_sp = 200.0 / 3
    min_log_hz, min_log_mel, logstep = 1000.0, 1000.0 / f_sp, np.log(6.4) / 27.0
    return np.where(m >= min_log_mel, min_log_hz * np.exp(logstep * (m - min_log_mel)), f_sp * m)


def mel_filterbank():
    """[80, 513] Slaney filters."""
    fft_freqs = np.arange(N_FFT // 2 + 1) * SR / N_FFT
    pts = mel_to_hz(np.linspace(hz_to_mel(FMIN), hz_to_mel(FMAX), N_MELS + 2))
    fb = np.zeros((N_MELS, N_FFT // 2 + 1))
    for m in range(N_MELS):
        lo, c, hi = pts[m], pts[m + 1], pts[m + 2]
        up = (fft_freqs - lo) / (c - lo)
        down = (hi - fft_freqs) / (hi - c)
        fb[m] = np.maximum(0, np.minimum(up, down)) * (2.0 / (hi - lo))
    return fb


_FB = mel_filterbank()
_WIN = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(N_FFT) / N_FFT)


def magnitude(audio):
    """[513, T] |STFT| of float audio."""
    x = np.pad(np.asarray(audio, dtype=np.float64), N_FFT // 2, mode='reflect')
    t = 1 + (len(x) - N_FFT) // HOP
    frames = np.stack([x[i * HOP:i * HOP + N_FFT] * _WIN for i in range(t)], axis=1)
    return np.abs(np.fft.rfft(frames, axis=0))


def log_mel(audio):
    """[80, T] log-mel, T = 1 + len(audio) // 256."""
    return np.log(np.maximum(_FB @ magnitude(audio), LOG_FLOOR))
