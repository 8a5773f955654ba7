"""The GE2E speaker encoder (256-dim), with its pretrained weights shipped in balr.

Pipeline of one recording (16 kHz float32): `prepare` raises the level and
shortens silences (balr.extract.preprocess); `embed` computes the 40-band mel
spectrogram, cuts it into 160-frame (1.6 s) partial windows every 77 frames
(1.3 per second), runs the LSTM on every window of every given waveform in a
few large batches, and returns the L2-normalised mean of each waveform's
L2-normalised window embeddings. The weights are those of Resemblyzer's
pretrained encoder (see weights/NOTICE), so the vectors match the shared ones.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from torch import nn

from balr.errors import CheckpointError
from balr.extract.audio import AudioError
from balr.extract.mel import HOP, N_MELS, mel_spectrogram
from balr.extract.preprocess import ge2e_preprocess
from balr.training.devices import resolve_device

WEIGHTS = Path(__file__).resolve().parent / "weights" / "ge2e.pt"
SAMPLE_RATE = 16000
DIM = 256
WINDOW_FRAMES = 160  # 1.6 s of 10 ms frames
WINDOWS_PER_SECOND = 1.3
MIN_COVERAGE = 0.75  # a last window is kept when audio covers this share of it
MIN_SECONDS = 0.5  # less speech than this after trimming is an error


class GE2ENet(nn.Module):
    """3-layer LSTM over mel frames, last hidden state -> Linear -> ReLU -> L2 norm."""

    def __init__(self, hidden: int = DIM) -> None:
        super().__init__()
        self.lstm = nn.LSTM(N_MELS, hidden, num_layers=3, batch_first=True)
        self.linear = nn.Linear(hidden, hidden)

    def forward(self, mels: torch.Tensor) -> torch.Tensor:
        """Unit-norm embeddings [batch, 256] of mel windows [batch, frames, 40]."""
        _, (hidden, _) = self.lstm(mels)
        raw = torch.relu(self.linear(hidden[-1]))
        return raw / torch.linalg.vector_norm(raw, dim=1, keepdim=True)


def window_starts(n_samples: int) -> list[int]:
    """First frame of each partial window of an `n_samples` waveform (at least one).

    Windows start every 77 frames while they overlap the audio's frames; the
    last one is dropped when the audio covers less than 75 % of it (unless it is
    the only one, in which case the waveform is zero-padded to fill it).
    """
    n_frames = math.ceil((n_samples + 1) / HOP)
    step = round(SAMPLE_RATE / WINDOWS_PER_SECOND / HOP)
    starts = list(range(0, max(1, n_frames - WINDOW_FRAMES + step + 1), step))
    coverage = (n_samples - starts[-1] * HOP) / (WINDOW_FRAMES * HOP)
    if coverage < MIN_COVERAGE and len(starts) > 1:
        starts.pop()
    return starts


def mel_windows(wav: np.ndarray) -> torch.Tensor:
    """The partial mel windows of one prepared waveform, [windows, 160, 40].

    A view into the mel spectrogram (windows overlap by half: a copy would double it).
    """
    starts = window_starts(len(wav))
    needed = (starts[-1] + WINDOW_FRAMES) * HOP
    mel = mel_spectrogram(wav, SAMPLE_RATE, max(needed, len(wav)))
    step = starts[1] - starts[0] if len(starts) > 1 else 1
    # unfold: windows every `step` frames, [n, 40, 160]; the starts are 0, step, 2 step, ...
    return mel.unfold(0, WINDOW_FRAMES, step)[: len(starts)].transpose(1, 2)


class GE2EEncoder:
    """GE2E speaker encoder: 16 kHz audio in, 256-dim unit vectors out.

    Args:
        weights: a state dict file (balr's shipped ``ge2e.pt`` format, or a
            checkpoint with a ``model_state`` entry); None uses the shipped copy.
        device: torch device to run the LSTM on ("cpu", "cuda", "cuda:1", ...).
        batch_windows: windows per LSTM forward pass; bounds memory
            (about 0.7 MB per window on CPU).
    """

    name = "ge2e"
    dim = DIM
    sample_rate = SAMPLE_RATE

    def __init__(
        self, weights: str | Path | None = None, device: str = "cpu", batch_windows: int = 128
    ) -> None:
        self.device = resolve_device(device)
        self.batch_windows = batch_windows
        self.net = GE2ENet()
        self.net.load_state_dict(_load_state(Path(weights) if weights else WEIGHTS))
        self.net.to(self.device).eval()

    def prepare(self, wav: np.ndarray) -> np.ndarray:
        """Level raised towards -30 dBFS and silences shortened.

        Raises:
            AudioError: less than 0.5 s of audio, or of speech after trimming (none for a
                silent file).
        """
        if len(wav) < MIN_SECONDS * SAMPLE_RATE:
            raise AudioError(
                f"too short: {len(wav) / SAMPLE_RATE:.2f} s of audio, {MIN_SECONDS} s of speech"
                " needed; use a longer recording"
            )
        prepared = ge2e_preprocess(np.asarray(wav, dtype=np.float32), SAMPLE_RATE)
        seconds = len(prepared) / SAMPLE_RATE
        if seconds == 0:
            raise AudioError(
                "silent audio: the voice activity detector found no speech; "
                "remove the file or check its content"
            )
        if seconds < MIN_SECONDS:
            raise AudioError(
                f"too short: {seconds:.2f} s of speech remain after silence trimming, "
                f"{MIN_SECONDS} s needed; use a longer recording"
            )
        return prepared

    @torch.inference_mode()
    def embed(self, wavs: Sequence[np.ndarray]) -> np.ndarray:
        """Embeddings of prepared waveforms, float32 [len(wavs), 256].

        All windows of all waveforms go through the LSTM together, `batch_windows`
        at a time.
        """
        if len(wavs) == 0:
            return np.zeros((0, DIM), np.float32)
        windows = [mel_windows(np.asarray(w, dtype=np.float32)) for w in wavs]
        counts = [len(w) for w in windows]
        # One long recording's windows stay a view; each batch is copied as it is used.
        stacked = windows[0] if len(windows) == 1 else torch.cat(windows)
        outputs = [
            self.net(stacked[i : i + self.batch_windows].contiguous().to(self.device)).cpu()
            for i in range(0, len(stacked), self.batch_windows)
        ]
        partials = torch.cat(outputs).numpy()
        return np.stack([_mean_direction(p) for p in np.split(partials, np.cumsum(counts)[:-1])])

    def embed_one(self, wav: np.ndarray) -> np.ndarray:
        """Embedding of one prepared waveform, float32 [256]."""
        return self.embed([wav])[0]


def _mean_direction(partials: np.ndarray) -> np.ndarray:
    """L2-normalised mean of unit rows."""
    mean = partials.mean(axis=0)
    return (mean / np.linalg.norm(mean, 2)).astype(np.float32)


def _load_state(path: Path) -> dict[str, torch.Tensor]:
    """The LSTM and Linear tensors of a GE2E weights file."""
    if not path.is_file():
        raise CheckpointError(f"{path}: GE2E weights file not found: fix encoder.weights")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # torch raises many types for a damaged file
        raise CheckpointError(
            f"{path}: cannot read GE2E weights ({type(error).__name__}): use a GE2E state dict"
        ) from None
    if isinstance(state, dict) and "model_state" in state:
        state = state["model_state"]
    expected = GE2ENet().state_dict()
    if not isinstance(state, dict) or any(
        k not in state or tuple(state[k].shape) != tuple(v.shape) for k, v in expected.items()
    ):
        raise CheckpointError(
            f"{path}: not GE2E weights (needs lstm.* and linear.* of a 3-layer 256-unit "
            "LSTM over 40 mels): use a GE2E state dict"
        )
    return {k: state[k].float() for k in expected}
