"""BS.1770 loudness, loudness range, true peak and silence of PCM streamed through, block by block.

ffmpeg decodes; this measures what it decodes, so no recording is ever held in memory. It replaced
ffmpeg's ebur128 filter in the loudness pass because the same sums cost a fraction here: on the bench
machine ebur128 took 0.39x a bare MP3 encode for integrated loudness and another 0.4x for true peak,
and the pass needs both, once before the render and once on the encoded file (bench/README.md, issue 21).

- K-weighting: pyloudnorm's two filters for the sample rate, its "DeMan" class (BS.1770's own filters
  re-derived for any rate; its default class reads a 997 Hz tone 0.04 LU low), run by the kernel of
  scipy's sosfilt a block at a time with the filter state carried across blocks. (pyloudnorm itself wants
  the whole signal as one array.)
- Integrated loudness, ITU-R BS.1770-4: 400 ms blocks every 100 ms, gated at -70 LUFS and then 10 LU
  under the loudness of the blocks that passed. Channels weigh 1 each (mono or stereo: what the station
  publishes; a surround recording is measured after the downmix to stereo the render makes too).
- Loudness range, EBU Tech 3342: 3 s windows every 100 ms, gated at -70 LUFS and 20 LU under their
  power mean, from the 10th to the 95th percentile.
- True peak, BS.1770-4 Annex 2: the Recommendation's 4x polyphase FIR, evaluated only where it can
  reach the largest value found so far. Each interpolated value reads 12 samples and is at most
  sum(|taps|) times the largest of them, so a stretch whose samples all sit under that bound cannot
  hold the true peak. The answer is the same as evaluating every position (tests/test_meter.py checks
  it); on speech, most positions are skipped.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pyloudnorm

# The Cython kernel behind scipy.signal.sosfilt. sosfilt itself spends about 90 µs a call checking its
# arguments, moving axes and copying the block, a quarter of the meter's time at 0.74 s blocks; the kernel
# filters a C-contiguous (channels, samples) array in place. tests/test_meter.py holds the result to
# pyloudnorm's, so a change in the kernel's contract fails there.
from scipy.signal._sosfilt import _sosfilt

HOPS_PER_S = 10  # energies are summed over 100 ms; blocks (4 hops) and windows (30 hops) are built from them
BLOCK_HOPS = 4  # 400 ms momentary blocks, 75 % overlap
WINDOW_HOPS = 30  # 3 s short-term windows (loudness range)
ABSOLUTE_GATE_LUFS = -70.0
RELATIVE_GATE_LU = 10.0
RANGE_GATE_LU = 20.0
# Digital silence decodes to exact zeros, which drive the filters' state into subnormal numbers and make
# sosfilt several times slower. A DC offset 120 dB down is taken out again by the K-weighting's own
# high-pass (38 Hz), so no block's energy moves by anything a float can show.
DC_GUARD = 1e-6

# ITU-R BS.1770-4 Annex 2: the 48-tap interpolating filter as its four phases of 12 taps.
TRUE_PEAK_PHASES = np.array(
    [
        [0.0017089843750, 0.0109863281250, -0.0196533203125, 0.0332031250000, -0.0594482421875, 0.1373291015625,
         0.9721679687500, -0.1022949218750, 0.0476074218750, -0.0266113281250, 0.0148925781250, -0.0083007812500],
        [-0.0291748046875, 0.0292968750000, -0.0517578125000, 0.0891113281250, -0.1665039062500, 0.4650878906250,
         0.7797851562500, -0.2003173828125, 0.1015625000000, -0.0582275390625, 0.0330810546875, -0.0189208984375],
        [-0.0189208984375, 0.0330810546875, -0.0582275390625, 0.1015625000000, -0.2003173828125, 0.7797851562500,
         0.4650878906250, -0.1665039062500, 0.0891113281250, -0.0517578125000, 0.0292968750000, -0.0291748046875],
        [-0.0083007812500, 0.0148925781250, -0.0266113281250, 0.0476074218750, -0.1022949218750, 0.9721679687500,
         0.1373291015625, -0.0594482421875, 0.0332031250000, -0.0196533203125, 0.0109863281250, 0.0017089843750],
    ]
)  # fmt: skip
TAPS = TRUE_PEAK_PHASES.shape[1]
TRUE_PEAK_GAIN = float(np.abs(TRUE_PEAK_PHASES).sum(axis=1).max())  # the most any phase can make of its samples
# Each output reads the 12 samples up to and including its own, newest first: y[n] = sum_k h[k] x[n-k].
_TAPS_NEWEST_FIRST = np.ascontiguousarray(TRUE_PEAK_PHASES.T[::-1])  # (12 samples oldest..newest, 4 phases)


@dataclass(frozen=True)
class Measured:
    frames: int  # samples per channel
    rate: int
    channels: int
    integrated_lufs: float  # -inf when no block passes the gates (silence)
    loudness_range_lu: float
    peak: float  # sample peak, linear (1.0 = full scale)
    peak_count: int  # samples at the highest or the lowest value reached (clipping shows as many)
    true_peak: float | None  # linear; None unless asked for
    first_loud: int | None  # first frame above the silence threshold, None if none is
    last_loud: int | None

    @property
    def duration_s(self) -> float:
        return self.frames / self.rate if self.rate else 0.0


def db(linear: float) -> float:
    return 20 * math.log10(linear) if linear > 0 else -math.inf


def k_weighting(rate: int) -> np.ndarray:
    """BS.1770's K-weighting for `rate` (pyloudnorm's design), as second-order sections for sosfilt."""
    filters = pyloudnorm.Meter(rate, filter_class="DeMan")._filters.values()
    return np.array([np.concatenate([f.b / f.a[0], f.a / f.a[0]]) for f in filters], dtype=np.float32)


class Meter:
    """Feed it float32 interleaved PCM (`feed`), in blocks of any size; `result()` at the end."""

    def __init__(self, rate: int, channels: int, *, true_peak: bool = False, silence_db: float | None = None):
        if rate <= 0 or channels not in (1, 2):
            raise ValueError(f"the meter measures mono or stereo PCM at a positive rate, not {channels} x {rate}")
        self.rate, self.channels = rate, channels
        self._hop = rate // HOPS_PER_S  # 4,410 samples at 44.1 kHz; rates that are not whole tens round down
        self._sos = k_weighting(rate)
        self._zi = np.zeros((channels, len(self._sos), 2), dtype=np.float32)  # the filters' state, per channel
        self._open_sum, self._open_n = 0.0, 0  # the hop not yet whole: its sum of squares, its samples
        self._hops: list[np.ndarray] = []  # mean square per hop, channels summed
        self._partial = b""
        self._frames = 0
        self._high, self._low, self._at_high, self._at_low = -math.inf, math.inf, 0, 0
        self._silence = 10 ** (silence_db / 20) if silence_db is not None else None
        self._first_loud: int | None = None
        self._last_loud: int | None = None
        self._true_peak = 0.0 if true_peak else None
        self._tail = np.zeros((TAPS - 1, channels), dtype=np.float32)  # the last samples, for the FIR's reach

    def feed(self, data: bytes) -> None:
        if self._partial:
            data, self._partial = self._partial + data, b""
        frame = 4 * self.channels
        usable = len(data) - len(data) % frame
        if usable != len(data):
            self._partial = data[usable:]
        if usable:
            self.feed_array(np.frombuffer(data, dtype="<f4", count=usable // 4).reshape(-1, self.channels))

    def feed_array(self, x: np.ndarray) -> None:
        """Frames as a (n, channels) float32 array."""
        start, n = self._frames, len(x)
        self._frames += n
        self._peaks(x)
        if self._silence is not None:
            level = np.abs(x).max(axis=1) if self.channels > 1 else np.abs(x[:, 0])
            loud = np.flatnonzero(level > self._silence)
            if loud.size:
                if self._first_loud is None:
                    self._first_loud = start + int(loud[0])
                self._last_loud = start + int(loud[-1])
        if self._true_peak is not None:
            self._find_true_peak(x)
        weighted = np.empty((self.channels, n), dtype=np.float32)
        np.add(x.T, np.float32(DC_GUARD), out=weighted)  # one pass: the guard, and channels made rows
        _sosfilt(self._sos, weighted, self._zi)
        squared = np.square(weighted, out=weighted)
        squared = squared.sum(axis=0) if self.channels > 1 else squared[0]
        # The hop left open by the last block is closed first; copying it onto this block would cost a pass.
        head = min(self._hop - self._open_n, n)
        self._open_sum += float(squared[:head].sum(dtype=np.float64))
        self._open_n += head
        if self._open_n == self._hop:
            self._hops.append(np.array([self._open_sum / self._hop]))
            self._open_sum, self._open_n = 0.0, 0
            rest = squared[head:]
            whole = len(rest) // self._hop * self._hop
            if whole:
                self._hops.append(rest[:whole].reshape(-1, self._hop).sum(axis=1, dtype=np.float64) / self._hop)
            self._open_sum, self._open_n = float(rest[whole:].sum(dtype=np.float64)), len(rest) - whole

    def _peaks(self, x: np.ndarray) -> None:
        high, low = float(x.max()), float(x.min())
        if high > self._high:
            self._high, self._at_high = high, int(np.count_nonzero(x == x.dtype.type(high)))
        elif high == self._high:
            self._at_high += int(np.count_nonzero(x == x.dtype.type(high)))
        if low < self._low:
            self._low, self._at_low = low, int(np.count_nonzero(x == x.dtype.type(low)))
        elif low == self._low:
            self._at_low += int(np.count_nonzero(x == x.dtype.type(low)))

    def _find_true_peak(self, x: np.ndarray) -> None:
        assert self._true_peak is not None
        ext = np.concatenate([self._tail, x])  # the FIR reaches 11 samples back, into the last block
        self._tail = ext[-(TAPS - 1) :]
        size = np.abs(ext).max(axis=1) if self.channels > 1 else np.abs(ext[:, 0])
        loudest = int(size.argmax())
        top = float(size[loudest])
        if top * TRUE_PEAK_GAIN <= self._true_peak:
            return  # no output of this block can reach the largest value so far
        if top > self._true_peak:
            # A sample over the largest value so far: its own neighbourhood first, so that the bound
            # below starts from a value really reached and skips as much as it can.
            self._true_peak = max(self._true_peak, _interpolated(ext, np.arange(loudest, loudest + TAPS)))
        hot = np.flatnonzero(size >= self._true_peak / TRUE_PEAK_GAIN)
        if hot.size:
            reached = np.zeros(len(ext) + TAPS, dtype=bool)  # every output whose 12 samples include a hot one
            for step in range(TAPS):
                reached[hot + step] = True
            self._true_peak = max(self._true_peak, _interpolated(ext, np.flatnonzero(reached[: len(ext)])))

    def result(self) -> Measured:
        hops = np.concatenate(self._hops) if self._hops else np.zeros(0)
        integrated = -math.inf
        if len(hops) >= BLOCK_HOPS:
            blocks = np.convolve(hops, np.full(BLOCK_HOPS, 1 / BLOCK_HOPS), mode="valid")
            integrated = _gated(blocks, RELATIVE_GATE_LU)
        loudness_range = 0.0
        if len(hops) >= WINDOW_HOPS:
            windows = np.convolve(hops, np.full(WINDOW_HOPS, 1 / WINDOW_HOPS), mode="valid")
            loud = windows[_lufs(windows) > ABSOLUTE_GATE_LUFS]
            if loud.size:
                kept = loud[_lufs(loud) > _lufs(np.array([loud.mean()]))[0] - RANGE_GATE_LU]
                if kept.size:
                    low, high = np.percentile(_lufs(kept), [10, 95])
                    loudness_range = float(high - low)
        peak = max(abs(self._high), abs(self._low)) if self._frames else 0.0
        at_peak = (self._at_high if abs(self._high) == peak else 0) + (self._at_low if abs(self._low) == peak else 0)
        true_peak = None if self._true_peak is None else max(self._true_peak, 0.0)
        return Measured(
            frames=self._frames,
            rate=self.rate,
            channels=self.channels,
            integrated_lufs=integrated,
            loudness_range_lu=loudness_range,
            peak=peak,
            peak_count=at_peak if peak > 0 else 0,
            true_peak=true_peak,
            first_loud=self._first_loud,
            last_loud=self._last_loud,
        )


def _lufs(mean_square: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore"):
        lufs: np.ndarray = -0.691 + 10 * np.log10(mean_square)
    return lufs


def _gated(blocks: np.ndarray, relative_lu: float) -> float:
    """BS.1770's two gates over block mean squares; -inf when nothing passes."""
    passed = blocks[_lufs(blocks) > ABSOLUTE_GATE_LUFS]
    if not passed.size:
        return -math.inf
    threshold = _lufs(np.array([passed.mean()]))[0] - relative_lu
    kept = passed[_lufs(passed) > threshold]
    return float(_lufs(np.array([kept.mean()]))[0]) if kept.size else -math.inf


def _interpolated(ext: np.ndarray, outputs: np.ndarray) -> float:
    """The largest magnitude of the 4x interpolated signal at these output positions of `ext`. Each reads
    the 11 samples before it, so the first 11 positions (the last block's, measured then) are left out."""
    outputs = outputs[(outputs >= TAPS - 1) & (outputs < len(ext))]
    if not outputs.size:
        return 0.0
    reads = outputs[:, None] + np.arange(-(TAPS - 1), 1)  # (positions, 12 samples oldest..newest)
    best = 0.0
    for channel in range(ext.shape[1]):
        values = ext[reads, channel].astype(np.float64) @ _TAPS_NEWEST_FIRST  # (positions, 4 phases)
        best = max(best, float(np.abs(values).max()))
    return best
