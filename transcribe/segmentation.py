"""pyannote's segmentation-3.0 network, loaded without pyannote.audio's training stack.

``pyannote.audio.Model`` is a Lightning module: importing it pulls in ``lightning`` and
``torch._dynamo`` (about 3,300 modules, several seconds and hundreds of megabytes) to run
a 6 MB network. This module builds the same network from plain torch layers and loads
the checkpoint's weights into it:

- **SincNet** (Ravanelli and Bengio, "Speaker Recognition from raw waveform with
  SincNet", SLT 2018, with the odd/sine filters of Pariente et al., ICASSP 2020): the
  waveform is instance-normalised, convolved with 40 learned band-pass filters (each as a
  cosine and a sine filter of 251 taps, stride 10), rectified, then two plain
  convolutions; each convolution is followed by max-pooling (3), instance norm and a
  leaky ReLU.
- a bidirectional **LSTM** over the frames, **linear** layers with leaky ReLU, and a
  **classifier** over the 7 powerset classes (log-softmax).

The band-pass filters are a function of two learned frequencies each; they are computed
once at load time, so inference is one ordinary convolution.

The checkpoint is read with ``torch.load(weights_only=True)``: the pyannote objects it
pickles beside the weights (task specifications) are read into inert stand-ins, never
imported. A checkpoint of another architecture, or one that does not read this way,
is handed to ``pyannote.audio.Model.from_pretrained`` (slow to import, but it knows them
all); so is a name that is not a local file (a model hub id).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

SAMPLE_RATE = 16_000
_SINC_FILTERS = 80  # 40 cosine + 40 sine filters
_SINC_TAPS = 251
_MIN_LOW_HZ = 50.0
_MIN_BAND_HZ = 50.0
_FEATURES = 60  # channels out of SincNet
_PYANNET = ("pyannote.audio.models.segmentation.PyanNet", "PyanNet")  # module, class
# Globals a pyannote checkpoint pickles besides tensors; read into _Inert objects.
_PICKLED_PYANNOTE = (
    "pyannote.audio.core.task.Specifications",
    "pyannote.audio.core.task.Problem",
    "pyannote.audio.core.task.Resolution",
)


class _Inert:
    """Stands in for a pickled pyannote object: keeps what it was given, does nothing."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.args = args

    def __setstate__(self, state: Any) -> None:
        self.state = state


def sinc_filters(
    low_hz: torch.Tensor, band_hz: torch.Tensor, times: torch.Tensor, window: torch.Tensor
) -> torch.Tensor:
    """(80, 1, 251) band-pass filters from the learned (40, 1) low and band frequencies:
    for each band a windowed cosine (even) filter, then a sine (odd) filter. ``times``
    (1, 125) is the left half of the time axis in radians per Hz, ``window`` (125,) the
    left half of a Hamming window; the right halves mirror them."""
    low = _MIN_LOW_HZ + low_hz.abs()
    high = torch.clamp(low + _MIN_BAND_HZ + band_hz.abs(), _MIN_LOW_HZ, SAMPLE_RATE / 2)
    band = (high - low)[:, 0]
    phase_low, phase_high = low @ times, high @ times
    even = (torch.sin(phase_high) - torch.sin(phase_low)) / (times / 2) * window
    odd = (torch.cos(phase_low) - torch.cos(phase_high)) / (times / 2) * window
    centre = 2 * band.view(-1, 1)
    cosine = torch.cat([even, centre, even.flip(1)], dim=1) / (2 * band[:, None])
    sine = torch.cat([odd, torch.zeros_like(centre), -odd.flip(1)], dim=1) / (2 * band[:, None])
    return torch.cat([cosine, sine]).view(_SINC_FILTERS, 1, _SINC_TAPS)


class SincNet(nn.Module):
    """Waveforms (batch, 1, samples) to features (batch, 60, frames)."""

    def __init__(self, stride: int = 10) -> None:
        super().__init__()
        self.stride = stride
        self.wav_norm = nn.InstanceNorm1d(1, affine=True)
        self.register_buffer("filters", torch.zeros(_SINC_FILTERS, 1, _SINC_TAPS))
        self.convs = nn.ModuleList(
            [nn.Conv1d(_SINC_FILTERS, _FEATURES, 5), nn.Conv1d(_FEATURES, _FEATURES, 5)]
        )
        self.norms = nn.ModuleList(
            [nn.InstanceNorm1d(n, affine=True) for n in (_SINC_FILTERS, _FEATURES, _FEATURES)]
        )

    def forward(self, waveforms: torch.Tensor) -> torch.Tensor:
        outputs = F.conv1d(self.wav_norm(waveforms), self.filters, stride=self.stride).abs()
        outputs = F.leaky_relu(self.norms[0](F.max_pool1d(outputs, 3)))
        for conv, norm in zip(self.convs, self.norms[1:], strict=True):
            outputs = F.leaky_relu(norm(F.max_pool1d(conv(outputs), 3)))
        return outputs


class PyanNet(nn.Module):
    """Waveforms (batch, 1, samples) to log-probabilities (batch, frames, classes)."""

    def __init__(self, hyper: Mapping[str, Any], classes: int) -> None:
        super().__init__()
        lstm, linear = hyper["lstm"], hyper["linear"]
        self.sincnet = SincNet(stride=hyper["sincnet"].get("stride", 10))
        self.lstm = nn.LSTM(
            _FEATURES, lstm["hidden_size"], num_layers=lstm["num_layers"],
            bidirectional=lstm["bidirectional"], batch_first=True,
        )
        width = lstm["hidden_size"] * (2 if lstm["bidirectional"] else 1)
        sizes = [width] + [linear["hidden_size"]] * linear["num_layers"]
        self.linear = nn.ModuleList(
            nn.Linear(n_in, n_out) for n_in, n_out in itertools.pairwise(sizes)
        )
        self.classifier = nn.Linear(sizes[-1], classes)

    def forward(self, waveforms: torch.Tensor) -> torch.Tensor:
        outputs, _ = self.lstm(self.sincnet(waveforms).transpose(1, 2))
        for layer in self.linear:
            outputs = F.leaky_relu(layer(outputs))
        return F.log_softmax(self.classifier(outputs), dim=-1)


def read_checkpoint(path: Path) -> dict[str, Any] | None:
    """The checkpoint's contents, read as weights only; None where that cannot be done
    (another pickled class, an old format)."""
    stand_ins = [(_Inert, name) for name in _PICKLED_PYANNOTE]
    try:
        with torch.serialization.safe_globals([*stand_ins, torch.torch_version.TorchVersion]):
            return torch.load(path, map_location="cpu", weights_only=True)
    except (RuntimeError, OSError, ValueError, EOFError):  # pickle.UnpicklingError: ValueError
        return None


def pyannet_from_checkpoint(checkpoint: Mapping[str, Any]) -> PyanNet | None:
    """The network with the checkpoint's weights, or None if it is not a plain PyanNet
    this module can build (then pyannote.audio must load it)."""
    architecture = checkpoint.get("pyannote.audio", {}).get("architecture", {})
    name = (architecture.get("module"), architecture.get("class"))
    hyper = checkpoint.get("hyper_parameters", {})
    if name != _PYANNET or not hyper.get("lstm", {}).get("monolithic", True):
        return None
    weights = dict(checkpoint["state_dict"])
    model = PyanNet(hyper, classes=weights["classifier.weight"].shape[0])
    model.load_state_dict(_renamed(weights))
    return model.eval()


def _renamed(weights: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """pyannote's parameter names to this module's; the sinc filters computed once."""
    bank = "sincnet.conv1d.0.filterbank."
    filters = sinc_filters(*(weights.pop(bank + name)
                             for name in ("low_hz_", "band_hz_", "n_", "window_")))
    renamed = {
        "sincnet.filters": filters,
        "sincnet.wav_norm.weight": weights.pop("sincnet.wav_norm1d.weight"),
        "sincnet.wav_norm.bias": weights.pop("sincnet.wav_norm1d.bias"),
    }
    for key, value in weights.items():
        if key.startswith("sincnet.conv1d."):
            index, rest = key.removeprefix("sincnet.conv1d.").split(".", 1)
            key = f"sincnet.convs.{int(index) - 1}.{rest}"
        elif key.startswith("sincnet.norm1d."):
            key = key.replace("sincnet.norm1d.", "sincnet.norms.")
        renamed[key] = value
    return renamed


def load_segmentation_network(source: Path | str) -> nn.Module:
    """The segmentation network of a local checkpoint or a model hub id, in eval mode,
    on the CPU; pyannote.audio is imported only for what this module cannot build."""
    path = Path(source)
    checkpoint = read_checkpoint(path) if path.is_file() else None
    model = pyannet_from_checkpoint(checkpoint) if checkpoint else None
    if model is not None:
        return model
    from pyannote.audio import Model

    return Model.from_pretrained(str(source)).eval()
