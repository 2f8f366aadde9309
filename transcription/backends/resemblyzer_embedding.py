"""Resemblyzer's GE2E speaker encoder as a pyannote.audio embedding ``Model``.

The weights ship inside the ``resemblyzer`` wheel (``resemblyzer/pretrained.pt``),
so diarization works with no model hub.  ``transcription.models_build`` saves this
class as a pyannote checkpoint; pyannote re-imports it by module path when the
pipeline directory is loaded, so this module must stay importable under this name.

Features follow resemblyzer: 40-band *power* (not log) mel spectrogram, 25 ms
windows every 10 ms at 16 kHz, volume normalised to -30 dBFS, 3-layer LSTM
(40 -> 256), linear 256 -> 256 + ReLU, L2 normalisation.  A chunk is embedded as
the normalised mean of 1.6 s partials taken over the frames where the speaker
is active (``weights`` from the segmentation model).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from pyannote.audio.core.model import Model
from pyannote.audio.core.task import Problem, Resolution, Specifications, Task
from torch import nn

N_MELS = 40
N_FFT = 400  # 25 ms at 16 kHz
HOP = 160  # 10 ms
PARTIAL_FRAMES = 160  # 1.6 s, as resemblyzer
PARTIAL_HOP = 80
MIN_FRAMES = 30  # under 0.3 s of speech: no reliable embedding (NaN row)
TARGET_DBFS = -30.0


class ResemblyzerEmbedding(Model):
    """GE2E speaker encoder (resemblyzer 0.1.4 weights) with pyannote's Model API."""

    def __init__(self, sample_rate: int = 16000, num_channels: int = 1, task: Task | None = None):
        super().__init__(sample_rate=sample_rate, num_channels=num_channels, task=task)
        self.lstm = nn.LSTM(N_MELS, 256, 3, batch_first=True)
        self.linear = nn.Linear(256, 256)
        # librosa's Slaney mel filterbank; filled by models_build, restored from the checkpoint.
        self.register_buffer("mel_fb", torch.zeros(N_MELS, N_FFT // 2 + 1))
        self.register_buffer("window", torch.hann_window(N_FFT))
        self.partial_hop = PARTIAL_HOP
        self.specifications = Specifications(
            problem=Problem.REPRESENTATION, resolution=Resolution.CHUNK, duration=10.0
        )

    @property
    def dimension(self) -> int:
        return 256

    def _mels(self, wav: torch.Tensor) -> torch.Tensor:
        """(samples,) -> (frames, 40) power mel spectrogram, volume-normalised."""
        rms = torch.sqrt(torch.mean(wav**2)).clamp_min(1e-8)
        wav = wav * (10 ** (TARGET_DBFS / 20) / rms)
        spec = torch.stft(
            wav,
            N_FFT,
            HOP,
            window=self.window,
            center=True,
            pad_mode="constant",
            return_complex=True,
        )
        power = spec.real**2 + spec.imag**2  # (freq, frames)
        return (self.mel_fb @ power).T

    def _encode(self, mels: torch.Tensor) -> torch.Tensor:
        _, (hidden, _) = self.lstm(mels)
        raw = F.relu(self.linear(hidden[-1]))
        return raw / raw.norm(dim=1, keepdim=True).clamp_min(1e-8)

    def _partials(self, mels: torch.Tensor) -> torch.Tensor | None:
        """(frames, 40) -> (partials, <=160, 40), or None under MIN_FRAMES of speech."""
        n = mels.shape[0]
        if n < MIN_FRAMES:
            return None
        if n <= PARTIAL_FRAMES:
            return mels.unsqueeze(0)
        starts = list(range(0, n - PARTIAL_FRAMES + 1, self.partial_hop))
        if starts[-1] + PARTIAL_FRAMES < n:
            starts.append(n - PARTIAL_FRAMES)
        return torch.stack([mels[s : s + PARTIAL_FRAMES] for s in starts])

    def _embed_frames(self, mels: torch.Tensor) -> torch.Tensor:
        partials = self._partials(mels)
        if partials is None:
            return torch.full((256,), math.nan, device=mels.device)
        emb = self._encode(partials).mean(dim=0)
        return emb / emb.norm().clamp_min(1e-8)

    def forward(self, waveforms: torch.Tensor, weights: torch.Tensor | None = None) -> torch.Tensor:
        """(batch, 1, samples) [+ (batch, frames) weights] -> (batch, 256) embeddings.

        The partials of every item are encoded in one LSTM call, grouped by length (a
        chunk's last partial can be shorter than 1.6 s): one call per length instead of
        one per item is what makes a larger embedding batch pay off on CPU.  Items without
        enough speech (an inactive local speaker: all-zero weights) cost no LSTM work.
        """
        if waveforms.shape[-1] < N_FFT:
            raise ValueError("waveform too short for a speaker embedding")
        groups: dict[int, list[tuple[int, torch.Tensor]]] = {}
        prev: torch.Tensor | None = None
        all_mels = torch.empty(0)
        for b in range(waveforms.shape[0]):
            wav = waveforms[b, 0]
            if prev is None or not torch.equal(wav, prev):  # one chunk comes once per local speaker
                all_mels, prev = self._mels(wav), wav
            mels = all_mels
            if weights is not None:
                w = weights[b].float().reshape(1, 1, -1)
                w = F.interpolate(w, size=mels.shape[0], mode="nearest").reshape(-1)
                mels = mels[w > 0.5]
            partials = self._partials(mels)
            if partials is not None:
                groups.setdefault(partials.shape[1], []).append((b, partials))
        out = torch.full((waveforms.shape[0], 256), math.nan, device=waveforms.device)
        for items in groups.values():
            encoded = self._encode(torch.cat([p for _, p in items]))
            k = 0
            for b, p in items:
                emb = encoded[k : k + p.shape[0]].mean(dim=0)
                out[b] = emb / emb.norm().clamp_min(1e-8)
                k += p.shape[0]
        return out
