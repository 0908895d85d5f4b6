"""The station's own BS.1770 meter (station/tools/meter.py), held to three references:

- known answers from the Recommendation itself (a 997 Hz sine at -20 dBFS in one channel reads -23.0 LUFS);
- pyloudnorm, whose filters it borrows, measuring the whole signal at once;
- ffmpeg's ebur128 filter, a separate implementation, on real speech and on a rendered MP3;
and its true peak to evaluating the Recommendation's interpolating filter everywhere, which the meter
skips where the result cannot be the largest.
"""

from __future__ import annotations

import math
import subprocess
import threading
from pathlib import Path

import numpy as np
import pyloudnorm
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from station.tools import ffmpeg
from station.tools.meter import TRUE_PEAK_PHASES, Meter, db
from tests.conftest import ebur128
from tests.media import bed

RATE = 48_000


def sine(freq: float, dbfs: float, seconds: float, rate: int = RATE, channels: int = 1) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    wave = (10 ** (dbfs / 20) * np.sin(2 * np.pi * freq * t)).astype(np.float32)
    return np.repeat(wave[:, None], channels, axis=1)


def measured(x: np.ndarray, rate: int = RATE, block: int = 4096, **options):
    meter = Meter(rate, x.shape[1], **options)
    raw = np.ascontiguousarray(x, dtype="<f4").tobytes()
    step = block * 4 * x.shape[1]
    for start in range(0, len(raw), step):
        meter.feed(raw[start : start + step])
    return meter.result()


def brute_true_peak(x: np.ndarray) -> float:
    """Every output of the 4x interpolating filter, from the first sample to the last."""
    return max(
        float(np.abs(np.convolve(x[:, c].astype(np.float64), phase)[: len(x)]).max())
        for c in range(x.shape[1])
        for phase in TRUE_PEAK_PHASES
    )


def test_a_997_hz_sine_reads_as_the_recommendation_says():
    # BS.1770-4, 2.4: a 0 dB FS 997 Hz sine in one channel reads -3.01 LKFS; at -20 dB FS, -23.01.
    one = measured(sine(997, -20, 10))
    assert one.integrated_lufs == pytest.approx(-23.01, abs=0.02)
    # The same sine in both channels of a stereo signal: twice the power, +3.01 LU.
    both = measured(sine(997, -20, 10, channels=2))
    assert both.integrated_lufs == pytest.approx(-20.0, abs=0.02)
    assert one.loudness_range_lu == pytest.approx(0.0, abs=0.05)  # one steady level: no range
    assert one.duration_s == pytest.approx(10.0)


def test_the_gates_leave_out_silence_and_quiet_stretches():
    loud, quiet = sine(997, -20, 10), sine(997, -60, 10)  # -63 LUFS is 40 LU under: the relative gate drops it
    gap = np.zeros((RATE * 10, 1), dtype=np.float32)
    together = np.concatenate([loud, gap, quiet])
    got = measured(together).integrated_lufs
    # Only the blocks that straddle the tone's end (part tone, part silence) pull it a little under -23.01;
    # without the gates, the mean over all 30 s would read 4.8 LU lower.
    assert -23.1 < got < -23.0
    assert got == pytest.approx(
        pyloudnorm.Meter(RATE, filter_class="DeMan").integrated_loudness(together[:, 0]), abs=0.01
    )
    nothing = measured(gap, silence_db=-50)
    assert nothing.integrated_lufs == -math.inf
    assert nothing.first_loud is None and nothing.last_loud is None and nothing.peak == 0.0


def test_silence_at_the_ends_is_found_to_the_sample():
    x = np.concatenate([np.zeros((1234, 1)), sine(440, -20, 1), np.zeros((999, 1))]).astype(np.float32)
    got = measured(x, block=777, silence_db=-50)
    assert got.first_loud == 1234 + 1  # sin(0) = 0: the tone's own first sample is silent
    assert got.last_loud == 1234 + RATE - 1 or got.last_loud == 1234 + RATE - 2


def test_clipping_is_counted_at_both_rails():
    x = np.clip(sine(440, 0, 1) * 2, -1, 1)
    got = measured(x)
    rails = int(np.count_nonzero(np.abs(x) == 1.0))
    assert got.peak == 1.0 and got.peak_count == rails and rails > RATE // 4


@settings(max_examples=15, deadline=None)
@given(
    seconds=st.floats(0.5, 2.0),
    freq=st.floats(40, 12_000),
    level=st.floats(-50, -1),
    noise=st.floats(0, 0.3),
    block=st.integers(1, 20_000),
    channels=st.sampled_from([1, 2]),
    rate=st.sampled_from([22_050, 44_100, 48_000]),
    seed=st.integers(0, 2**16),
)
def test_integrated_loudness_matches_pyloudnorm_whatever_the_blocks(
    seconds, freq, level, noise, block, channels, rate, seed
):
    """The same filters and gates over a stream in blocks of any size as pyloudnorm over the whole array."""
    rng = np.random.default_rng(seed)
    x = sine(freq, level, seconds, rate, channels) * np.linspace(0.1, 1, int(seconds * rate))[:, None]
    x = (x + noise * 10 ** (level / 20) * rng.standard_normal(x.shape)).astype(np.float32)
    x = x[: len(x) // (rate // 10) * (rate // 10)]  # whole 100 ms steps: pyloudnorm counts blocks the same way
    ours = measured(x, rate, block).integrated_lufs
    theirs = pyloudnorm.Meter(rate, filter_class="DeMan").integrated_loudness(
        x.astype(np.float64) if channels == 2 else x[:, 0]
    )
    assert ours == pytest.approx(theirs, abs=0.01)


@settings(max_examples=60, deadline=None)
@given(
    x=arrays(
        np.float32, st.tuples(st.integers(1, 3000), st.sampled_from([1, 2])), elements=st.floats(-1.5, 1.5, width=32)
    ),
    block=st.integers(1, 500),
    spikes=st.lists(st.tuples(st.integers(0, 2999), st.floats(-2, 2, width=32)), max_size=6),
    worst=st.lists(st.tuples(st.integers(0, 2999), st.integers(0, 3), st.floats(0.05, 1.5)), max_size=3),
)
def test_the_true_peak_is_the_largest_interpolated_value_anywhere(x, block, spikes, worst):
    x = x.copy()
    for at, value in spikes:  # a few isolated overs, where inter-sample peaks are largest
        x[at % len(x), 0] = value
    for at, phase, size in worst:
        # The most one phase can make of samples no larger than `size`: each of its 12 samples `size` times
        # the sign of the tap it meets. Its output is the bound the meter prunes with, reached exactly.
        end = at % len(x) + 1
        pattern = size * np.sign(TRUE_PEAK_PHASES[phase][::-1])[-end:]
        x[end - len(pattern) : end, 0] = pattern
    got = measured(x, block=block, true_peak=True).true_peak
    assert got == pytest.approx(brute_true_peak(x), rel=1e-6, abs=1e-9)


def test_inter_sample_peaks_are_found_between_the_samples():
    # A sine at a quarter of the rate, sampled 45 degrees off its crests: every sample is 3 dB under them.
    n = np.arange(RATE)
    x = (0.5 * np.sin(2 * np.pi * n / 4 + np.pi / 4)).astype(np.float32)[:, None] * np.sqrt(2)
    got = measured(x, true_peak=True)
    assert db(got.peak) == pytest.approx(-6.02, abs=0.01)
    assert db(got.true_peak) == pytest.approx(-3.0, abs=0.3)  # 4x oversampling finds the crest to within a fraction
    assert got.true_peak == pytest.approx(brute_true_peak(x), rel=1e-6)


def test_it_agrees_with_ffmpeg_on_real_speech_and_on_an_encoded_mp3(clips, tmp_path):
    speech = clips.get("speech.wav")
    analysis = ffmpeg.analyse(speech, None, silence_db=-50, timeout_s=60)
    theirs = ebur128(speech)
    assert analysis.integrated_lufs == pytest.approx(theirs["I"], abs=0.1)
    plan = ffmpeg.RenderPlan(
        pieces=(ffmpeg.Piece(speech, None, 0.0, analysis.duration_s, 3.0),),
        channels=1,
        sample_rate_hz=44_100,
        bitrate_kbps=64,
        limit_db=-2.0,
        compress=False,
    )
    out = tmp_path / "out.mp3"
    ours = ffmpeg.render(plan, out, 60)  # measured on the encoded frames as they were made
    theirs = ebur128(out)
    # ebur128 prints one decimal: 0.05 of the 0.15 is its rounding.
    assert ours.integrated_lufs == pytest.approx(theirs["I"], abs=0.15)
    assert ours.true_peak_db == pytest.approx(theirs["TP"], abs=0.3)
    # Down the pipe the MP3 has no gapless header (it is written at the end, where a pipe cannot go back),
    # so the encoder's own delay and padding (about 50 ms) are counted, as they always were here.
    assert ours.duration_s == pytest.approx(ffmpeg.measure(out, 60).duration_s, abs=0.06)


def test_a_surround_recording_is_measured_after_its_downmix_to_stereo(tmp_path):
    six, two = tmp_path / "six.wav", tmp_path / "two.wav"
    subprocess.run(
        [ffmpeg.executable(), "-v", "error", "-f", "lavfi", "-i", "sine=frequency=997:duration=5",
         "-af", "volume=-20dB,pan=5.1|FL=c0|FR=c0|FC=0.5*c0", "-c:a", "pcm_s16le", str(six)],
        check=True,
    )  # fmt: skip
    # The render's own downmix (an aformat to float stereo in its filter graph: in float, ffmpeg does not
    # scale the mix down as it does for 16-bit), kept in float and measured by ffmpeg.
    stereo = ["-af", "aformat=sample_fmts=flt:channel_layouts=stereo", "-c:a", "pcm_f32le"]
    subprocess.run([ffmpeg.executable(), "-v", "error", "-i", str(six), *stereo, str(two)], check=True)
    got = ffmpeg.analyse(six, None, silence_db=-50, timeout_s=60)
    assert got.channels > 2  # what the file is: more than stereo
    assert got.integrated_lufs == pytest.approx(ebur128(two)["I"], abs=0.1)  # what its stereo render is made from


def test_a_file_ffmpeg_cannot_decode_fails_plainly(tmp_path):
    junk = tmp_path / "junk.mp3"
    junk.write_bytes(b"not audio at all " * 100)
    with pytest.raises(ffmpeg.FfmpegFailed):
        ffmpeg.analyse(junk, None, silence_db=-50, timeout_s=60)


def _nice(stat: str) -> int:
    return int(stat.rsplit(")", 1)[1].split()[16])  # proc(5): field 19, after the command's name


def _running_now() -> dict[str, list[int]]:
    """The nice values of this process's threads and of its child processes (by their last argument)."""
    threads, children = [], {}
    for t in Path("/proc/self/task").iterdir():
        try:  # a thread or a process may have ended since it was listed
            threads.append(_nice((t / "stat").read_text()))
            for pid in (t / "children").read_text().split():
                last = Path(f"/proc/{pid}/cmdline").read_bytes().rstrip(b"\0").split(b"\0")[-1].decode()
                children[last] = [_nice(Path(f"/proc/{pid}/stat").read_text())]
        except OSError:
            continue
    return {"threads": threads, **children}


def test_the_check_of_the_encoded_frames_yields_the_cores_to_the_encoder_and_reports_on_the_calling_thread(
    tmp_path,
):
    """The render's check (the ffmpeg decoding what the encoder makes, and the thread measuring it) runs at the
    lowest priority; the encoder at the usual one. Progress comes every quarter second from the thread that
    asked for the render, which is the only one a Dask task can report from."""
    music = bed(tmp_path / "bed.flac", seconds=150)
    caller, seen, reports = threading.get_ident(), [], []

    def progress(seconds: float) -> None:
        reports.append((threading.get_ident(), seconds))
        seen.append(_running_now())

    analysis = ffmpeg.analyse(music, None, silence_db=-50, timeout_s=60, on_progress=progress)
    assert all(threads == [0] * len(threads) for threads in (s["threads"] for s in seen))  # nothing yields here
    plan = ffmpeg.RenderPlan(
        pieces=(ffmpeg.Piece(music, None, 0.0, analysis.duration_s, -3.0),),
        channels=2,
        sample_rate_hz=44_100,
        bitrate_kbps=96,
        limit_db=None,
        compress=False,
    )
    seen.clear()
    del reports[:]
    got = ffmpeg.render(plan, tmp_path / "out.mp3", 60, progress)
    both = [s for s in seen if "pipe:1" in s]  # `pipe:1`: the check's last argument
    assert both, f"no report came while the check ran: {seen}"
    for s in both:
        assert s["pipe:1"] == [19]
        assert 19 in s["threads"]  # the measuring thread
    encoder = [s[k] for s in seen for k in s if k.startswith("[f=mp3")]  # the tee's outputs, the encoder's last
    assert encoder and all(n == [0] for n in encoder)
    assert {who for who, _ in reports} == {caller}
    done = [s for _, s in reports]
    assert done == sorted(done) and done[-1] == pytest.approx(got.duration_s, abs=0.1)
