"""The only module that runs ffmpeg (the binary shipped by imageio-ffmpeg).

Everything long goes through ffmpeg as a stream: decode, analyse, filter and
encode happen in one process and Python never holds the audio, so a whole
night costs the same memory as a minute.

Three jobs for the build:
  analyse(path)  one decoding pass: stream facts and damage from ffmpeg's log; silence at
                 the ends, peak/clipping statistics and BS.1770 loudness measured on the
                 decoded audio as it streams past (tools/meter.py)
  render(plan)   trim, gain, optional masking, limiter, MP3 encode; the encoded frames are
                 decoded again as they are made and measured the same way (true peak too)
  measure(path)  ffmpeg's own BS.1770 meter (ebur128) on a finished file: a second opinion,
                 independent of tools/meter.py, for the tests and benchmarks that check it
and the processes the night's playout pipes raw audio through:
  decoder(path) / tone()  a file (or a quiet tone) as PCM on stdout
  encoder(args)           PCM on stdin, encoded and sent where `args` say
"""

from __future__ import annotations

import math
import re
import subprocess
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, TypeAlias

from station.errors import FfmpegFailed, ToolError

if TYPE_CHECKING:  # imported where used: numpy and scipy would slow every command's start, the desk's too
    from station.tools.meter import Measured

Progress = Callable[[float], None]  # seconds of audio done so far
Process: TypeAlias = "subprocess.Popen[bytes]"  # a running ffmpeg with pipes
StillRunning = subprocess.TimeoutExpired  # what Process.wait raises when its timeout passes first


@cache
def executable() -> str:
    try:
        import imageio_ffmpeg

        exe: str = imageio_ffmpeg.get_ffmpeg_exe()
        return exe
    except Exception as exc:  # the package's own error says which platform is missing
        raise ToolError(
            f"ffmpeg is missing ({exc}) — reinstall the station with `pip install -e .`, "
            "which brings ffmpeg with it (imageio-ffmpeg)"
        ) from exc


@cache
def dies_with_us() -> list[str]:
    """What to put before ffmpeg's command so it dies with the process that started it.

    A build killed with SIGKILL (a machine's OOM killer, a service manager) would leave its ffmpeg running on,
    writing into the cache after the next build has swept it, and working the CPU for nobody. Linux sends a
    child a signal of its choice when its parent dies (prctl PR_SET_PDEATHSIG); util-linux's setpriv sets it
    and then runs ffmpeg (a preexec_fn could do it too, but is not safe in the desk's threads). Where there is
    no setpriv, nothing is added, and the next build sweeps what an orphan left."""
    import shutil
    import sys

    setpriv = shutil.which("setpriv")
    if not setpriv or not sys.platform.startswith("linux"):
        return []
    try:
        works = subprocess.run([setpriv, "--pdeathsig", "KILL", "true"], capture_output=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return []
    return [setpriv, "--pdeathsig", "KILL"] if works.returncode == 0 else []


@cache
def yielding() -> list[str]:
    """What to put before a command so that it runs at the lowest CPU priority (coreutils' nice), where there is
    a nice to run; nothing where there is not.

    For the render's check of its own encoded frames: the encoder waits on nothing the check does, so the check
    takes only the time the encoder leaves, and catches up from its pipes and read-ahead (bench/README.md, fifth
    pass: on two cores the check at equal priority cost the encode 0.9 s in 7.3)."""
    import shutil

    found = shutil.which("nice")
    return [found, "-n", str(LOWEST_PRIORITY)] if found else []


LOWEST_PRIORITY = 19  # the highest nice value: runs when nothing else wants the core


PcmReader: TypeAlias = Callable[[int, int], Callable[[bytes], None]]  # (rate, channels) -> takes each block
# Bytes of decoded audio handed over at a time: 0.74 s of mono float at 44.1 kHz, ffmpeg's own frame (PCM_OUT).
# Blocks of 1 MB measured faster alone but slowed the encoder beside them by more than they saved, most
# likely through the cache the cores share: a block's arrays were several MB (bench/README.md, fourth pass).
PCM_BLOCK = 1 << 17
_PCM_OUT = re.compile(r"Audio: pcm_f32le, (\d+) Hz, (mono|stereo)")


def run(
    args: list[str],
    timeout_s: float,
    on_progress: Progress | None = None,
    fed_by: list[str] | None = None,
    pcm: PcmReader | None = None,
) -> str:
    """Run ffmpeg; return its log (stderr). Progress comes from `-progress pipe:1`.

    `fed_by`: the arguments of a second ffmpeg whose output (pipe:1) becomes
    this one's input (pipe:0), so both run at once on two cores. Either
    failing fails the run.

    `pcm`: the command writes float PCM (f32le, mono or stereo) to pipe:1; once
    ffmpeg has said its rate and layout, `pcm(rate, channels)` is called, and
    what it returns is given the audio block by block as it decodes, on a
    thread of its own (progress is the audio it has been given). When the
    command is fed by a second ffmpeg, that thread and this command run at the
    lowest priority (`yielding`): they measure what the feeder makes, and the
    feeder waits on nothing they do.
    """
    exe = executable()
    quiet = ["-hide_banner", "-nostdin", "-nostats", "-v", "level+info"]
    feeder = None
    if fed_by is not None:
        feeder = subprocess.Popen(
            [*dies_with_us(), exe, *quiet, *fed_by], stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
    progress = [] if pcm else ["-progress", "pipe:1"]
    behind = bool(feeder and pcm)  # a check of what the feeder makes: it yields the cores to the feeder
    cmd = [
        *dies_with_us(),
        *(yielding() if behind else []),
        exe,
        *[q for q in quiet if not (feeder and q == "-nostdin")],
        *progress,
        *args,
    ]
    proc = subprocess.Popen(
        cmd, stdin=feeder.stdout if feeder else subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    if feeder and feeder.stdout:
        if pcm:
            _widen(feeder.stdout)  # the encoder runs on while the measuring side catches up
        feeder.stdout.close()  # the reader holds the only copy: the feeder sees a broken pipe if it dies
    procs = [p for p in (feeder, proc) if p]
    logs: list[list[bytes]] = [[] for _ in procs]
    readers = [
        threading.Thread(target=lambda p=p, log=log: log.extend(p.stderr), daemon=True)
        for p, log in zip(procs, logs, strict=True)
    ]

    def stop() -> None:
        for p in procs:
            p.kill()

    timer = threading.Timer(timeout_s, stop)
    timer.start()
    try:
        if pcm:
            # ffmpeg says what it will write before it writes any of it: read its log up to there, then
            # hand the log to a thread (the log's pipe must keep draining) and the audio to `pcm`.
            for r in readers[:-1]:
                r.start()
            found = _pcm_format(proc, logs[-1], pcm)
            readers[-1].start()
            if found:
                take, bytes_per_s = found
                _measure_as_it_comes(proc, take, bytes_per_s, on_progress, yields=behind)
        else:
            for r in readers:
                r.start()
            for raw in proc.stdout or ():
                line = raw.decode("utf-8", "replace")
                if line.startswith("out_time_us=") and on_progress:
                    value = line.split("=", 1)[1].strip()
                    if value.lstrip("-").isdigit():
                        on_progress(max(0, int(value)) / 1e6)
        for p in procs:
            p.wait()
    finally:
        timer.cancel()
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    for r in readers:
        r.join()
    texts = [b"".join(log).decode("utf-8", "replace") for log in logs]
    for p, text in zip(procs, texts, strict=True):
        if p.returncode != 0:
            raise FfmpegFailed(text)
    return texts[-1]


def _measure_as_it_comes(
    proc: Process, take: Callable[[bytes], None], bytes_per_s: int, on_progress: Progress | None, *, yields: bool
) -> None:
    """Give `take` what ffmpeg writes, on a measuring thread, so that ffmpeg seldom waits for it; report the
    audio measured so far from this thread (a Dask task's progress can only be told from its own thread).

    The measuring ffmpeg may be fed by the encoder (render), so a pause here pauses the encode. A pipe
    holds 64 KB (a third of a second of float audio): a thread reads ahead into a queue (three minutes of
    audio at most) while `take` works, and the pipe is made as large as the system allows. `yields`: the
    measuring thread runs at the lowest priority, and the read-ahead is what lets it fall behind the encoder
    and catch up."""
    import contextlib
    import os
    import queue

    _widen(proc.stdout)
    ahead: queue.Queue[bytes] = queue.Queue(maxsize=PCM_AHEAD)
    measured = [0]  # bytes given to `take`
    failed: list[BaseException] = []

    def read() -> None:
        while block := proc.stdout.read(PCM_BLOCK):  # type: ignore[union-attr]
            ahead.put(block)
        ahead.put(b"")

    def measure() -> None:
        if yields:
            # Linux gives each thread its own nice value; where it cannot be set, the encode shares the cores.
            with contextlib.suppress(OSError, AttributeError):
                os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), LOWEST_PRIORITY)
        try:
            while block := ahead.get():
                take(block)
                measured[0] += len(block)
        except BaseException as exc:  # raised again on the calling thread
            failed.append(exc)
            proc.kill()  # the reader then sees the end of the pipe instead of waiting on a full queue
            while ahead.get():
                pass

    reader = threading.Thread(target=read, daemon=True)
    measurer = threading.Thread(target=measure, daemon=True)
    reader.start()
    measurer.start()
    while measurer.is_alive():
        measurer.join(PROGRESS_EVERY_S)
        if on_progress:
            on_progress(measured[0] / bytes_per_s)
    reader.join()
    if failed:
        raise failed[0]


PROGRESS_EVERY_S = 0.25


PCM_AHEAD = 256  # blocks read ahead at most: 32 MB, three minutes of mono float audio


def _widen(pipe: IO[bytes] | None) -> None:
    """Make a pipe hold as much as Linux allows (F_SETPIPE_SZ; 1 MB unless raised), where it can."""
    try:
        import fcntl

        with open("/proc/sys/fs/pipe-max-size") as limit:
            size = int(limit.read())
        if pipe is not None:
            fcntl.fcntl(pipe.fileno(), fcntl.F_SETPIPE_SZ, size)  # Linux only
    except (OSError, ValueError, ImportError, AttributeError):
        pass  # a smaller pipe only means ffmpeg waits on us a little more


def _pcm_format(proc: Process, log: list[bytes], pcm: PcmReader) -> tuple[Callable[[bytes], None], int] | None:
    """Read ffmpeg's log until it names its output's rate and layout; then `pcm(rate, channels)`, and the
    bytes a second of that audio takes. None if the log ends first (ffmpeg failed before writing audio: its
    log says why)."""
    output = False
    for raw in proc.stderr or ():
        log.append(raw)
        line = raw.decode("utf-8", "replace")
        output = output or "Output #0" in line
        found = _PCM_OUT.search(line) if output else None
        if found:
            rate, channels = int(found.group(1)), 1 if found.group(2) == "mono" else 2
            return pcm(rate, channels), rate * channels * 4  # f32le
    return None


# ---------------------------------------------------------------- analyse


@dataclass(frozen=True)
class Analysis:
    container: str
    codec: str
    sample_rate_hz: int
    channels: int
    header_duration_s: float | None  # what the file says about itself
    duration_s: float  # what actually decoded
    integrated_lufs: float  # -inf for silence
    loudness_range_lu: float
    peak_db: float  # sample peak; true peak is measured on the encoded file
    peak_share: float  # share of samples at the peak value (clipping)
    speech_start_s: float  # where the first non-silence begins
    speech_end_s: float  # where the last non-silence ends
    damage: list[str] = field(default_factory=list)  # decoder complaints, first few


_DAMAGE = re.compile(r"corrupt|invalid|error|truncat|missing|incomplete|overread|skipping|broken", re.I)
_IGNORED = re.compile(
    r"Guessed Channel Layout|Estimating duration from bitrate|Discarding ID3 tags|"
    r"Skipping \d+ bytes of junk|Application provided invalid, non monotonically",
    re.I,
)


def analyse(
    path: Path, input_format: str | None, *, silence_db: float, timeout_s: float, on_progress: Progress | None = None
) -> Analysis:
    """One decode, measured as it comes (tools/meter.py): loudness, peaks, where the sound starts and ends.
    ffmpeg's log gives what the file is and any damage the decoder met."""
    from station.tools.meter import db

    fmt = ["-f", input_format] if input_format else []
    decode = [*fmt, *ONE_DECODER_THREAD, "-i", str(path), "-map", "0:a:0", *PCM_OUT]
    m, log = _metered(decode, timeout_s, on_progress, silence_db=silence_db)
    facts = _stream_facts(log)
    duration = m.duration_s
    speech_start, speech_end = 0.0, duration
    if m.first_loud is None or m.last_loud is None:  # silence throughout
        speech_start = speech_end = 0.0
    else:
        # Only silence of a quarter of a second or more counts, at either end (as ffmpeg's silencedetect).
        if m.first_loud / m.rate >= SILENCE_MIN_S:
            speech_start = m.first_loud / m.rate
        if duration - (m.last_loud + 1) / m.rate >= SILENCE_MIN_S:
            speech_end = (m.last_loud + 1) / m.rate
    peak_db = db(m.peak)
    return Analysis(
        **facts,
        duration_s=duration,
        integrated_lufs=m.integrated_lufs,
        loudness_range_lu=m.loudness_range_lu,
        peak_db=peak_db,
        peak_share=(m.peak_count / max(1, m.frames * m.channels)) if peak_db > -0.5 else 0.0,
        speech_start_s=speech_start,
        speech_end_s=speech_end,
    )


# Decoded audio for tools/meter.py: 32-bit float (a decoded MP3 can go over full scale, which integers would
# cut off), mono or stereo (what the station publishes; a surround recording is measured after the same
# downmix to stereo that its render makes), at the file's own rate, in frames of 32,768 samples rather than
# the codec's own (1,152 for MP3): fewer writes, fewer wake-ups of the reading side.
PCM_OUT = [
    *["-af", "aformat=sample_fmts=flt:channel_layouts=mono|stereo,asetnsamples=n=32768:p=0"],
    *["-f", "f32le", "pipe:1"],
]
SILENCE_MIN_S = 0.25
# Decoders that can decode several frames at once (FLAC, WavPack) do it in as many threads as there are cores.
# For audio the threads cost more than they share out: a 30-minute FLAC decoded in 1.22 s of wall time and
# 1.7 CPU-seconds, and in one thread 1.02 s and 1.45 (bench/README.md, fifth pass). The pass's other work
# (the meter, the encoder, the check) wants the cores instead.
ONE_DECODER_THREAD = ["-threads", "1"]


def _num(pattern: str, text: str, default: float) -> float:
    found = re.findall(pattern, text)
    if not found:
        return default
    return float(found[-1])  # float() reads "-inf" too


def _stream_facts(log: str) -> dict[str, Any]:
    """What ffmpeg's log says about the input: container, codec, rate, channels, the header's length, damage."""
    stream = re.search(r"Stream #0:\d+.*?: Audio: (\w+).*?, (\d+) Hz, ([^,]+)", log)
    if not stream:
        raise FfmpegFailed(log)
    codec, rate, layout = stream.group(1), int(stream.group(2)), stream.group(3).strip()
    counted = re.match(r"(\d+) channels", layout)
    # Named layouts other than mono/stereo (5.1, quad …) are more than stereo; they are downmixed.
    channels = {"mono": 1, "stereo": 2}.get(layout) or (int(counted.group(1)) if counted else 3)
    named = re.search(r"Input #0, ([^,]+(?:,[^ ,]+)*), from", log)
    hdr = re.search(r"Duration: (\d+):(\d+):([\d.]+)", log)
    header = int(hdr.group(1)) * 3600 + int(hdr.group(2)) * 60 + float(hdr.group(3)) if hdr else None
    damage = []
    for line in log.splitlines():
        if ("[error]" in line or "[warning]" in line) and _DAMAGE.search(line) and not _IGNORED.search(line):
            damage.append(re.sub(r"^\[[^]]+\] ", "", line).strip())
    return {
        "container": named.group(1) if named else "unknown",
        "codec": codec,
        "sample_rate_hz": rate,
        "channels": channels,
        "header_duration_s": header,
        "damage": damage[:5],
    }


# ---------------------------------------------------------------- render


@dataclass(frozen=True)
class Piece:
    """One input of a render: a file, the part of it to keep, and its gain."""

    path: Path
    input_format: str | None
    start_s: float
    end_s: float
    gain_db: float
    mask_pitch: float | None = None  # pseudonym-masked voices: pitch and formants moved together


@dataclass(frozen=True)
class RenderPlan:
    pieces: tuple[Piece, ...]
    channels: int  # 1 or 2
    sample_rate_hz: int
    bitrate_kbps: int
    limit_db: float | None  # limiter ceiling (sample peak); None: no limiter
    compress: bool
    hide: tuple[tuple[float, float], ...] = ()  # spans of the finished timeline to hide (redaction)
    hide_with: str = "tone"  # tone | silence


def render(plan: RenderPlan, out: Path, timeout_s: float, on_progress: Progress | None = None) -> Loudness:
    """Render `plan` into `out` (MP3) and return the loudness of the encoded frames."""
    args: list[str] = []
    chains = []
    layout = "mono" if plan.channels == 1 else "stereo"
    for i, piece in enumerate(plan.pieces):
        if piece.input_format:
            args += ["-f", piece.input_format]
        args += [*ONE_DECODER_THREAD, "-i", str(piece.path)]
        steps = [
            f"atrim=start={piece.start_s:.4f}:end={piece.end_s:.4f}",
            "asetpts=PTS-STARTPTS",
            f"aresample={plan.sample_rate_hz}",
            f"aformat=sample_fmts=flt:channel_layouts={layout}",
        ]
        if piece.mask_pitch:
            # asetrate moves pitch and formants together (a different-sounding voice, not
            # a chipmunk); atempo puts the speed back so words keep their timing.
            r = piece.mask_pitch
            steps += [
                f"asetrate={round(plan.sample_rate_hz * r)}",
                f"aresample={plan.sample_rate_hz}",
                f"atempo={1 / r:.6f}",
            ]
        steps.append(f"volume={piece.gain_db:.3f}dB")
        chains.append(f"[{i}:a:0]{','.join(steps)}[p{i}]")
    joined = "".join(f"[p{i}]" for i in range(len(plan.pieces)))
    tail = f"{joined}concat=n={len(plan.pieces)}:v=0:a=1" if len(plan.pieces) > 1 else "[p0]anull"
    if plan.compress:
        tail += ",acompressor=threshold=-24dB:ratio=3:attack=20:release=250:makeup=1"
    if plan.hide:
        spans = "+".join(f"between(t,{a:.3f},{b:.3f})" for a, b in plan.hide)
        tail += f",volume=0:enable='{spans}'"
        if plan.hide_with == "tone":
            # A soft 660 Hz tone (-26 dBFS) where words were hidden: the listener hears that something was.
            end = plan.hide[-1][1] + 1
            chains.append(
                f"aevalsrc=exprs='0.05*sin(2*PI*660*t)*({spans})':s={plan.sample_rate_hz}:d={end:.3f},"
                f"aformat=sample_fmts=flt:channel_layouts={layout}[tone]"
            )
            tail += "[hushed];[hushed][tone]amix=inputs=2:duration=first:normalize=0"
    if plan.limit_db is not None:
        # A look-ahead limiter on sample peaks, set 1 dB under the true-peak ceiling: inter-sample
        # peaks and the MP3 encoder rarely add more. The encoded file's true peak is measured
        # anyway and a miss is rendered again lower, so oversampling here (which costs as much
        # as the whole encode) buys nothing. Figures: bench/README.md.
        limit = 10 ** (plan.limit_db / 20)
        tail += f",alimiter=limit={limit:.5f}:level=false:latency=true:attack=2:release=80"
    graph = ";".join(chains) + f";{tail}[out]"
    # flush_packets=0: written 32 KB at a time rather than a frame (about 200 bytes) at a time, 140,000
    # fewer write calls for 30 minutes, and as many fewer wake-ups of the checking ffmpeg.
    mp3 = "f=mp3:id3v2_version=0:write_id3v1=0:fflags=+bitexact:flush_packets=0"
    # The tee muxer writes the same encoded frames to the file and down a pipe, where a
    # second ffmpeg measures them as they come: the check costs no extra pass over the file.
    encode = [
        *args,
        "-filter_complex",
        graph,
        "-map",
        "[out]",
        "-map_metadata",
        "-1",
        "-map_chapters",
        "-1",
        "-fflags",
        "+bitexact",
        "-flags:a",
        "+bitexact",
        "-c:a",
        "libmp3lame",
        "-b:a",
        f"{plan.bitrate_kbps}k",
        "-ar",
        str(plan.sample_rate_hz),
        "-ac",
        str(plan.channels),
        "-f",
        "tee",
        "-y",
        f"[{mp3}]{_tee_escape(out)}|[{mp3}]pipe:1",
    ]
    return _measured(["-f", "mp3", "-i", "pipe:0", *PCM_OUT], timeout_s, on_progress, fed_by=encode)


def _measured(
    args: list[str], timeout_s: float, on_progress: Progress | None, fed_by: list[str] | None = None
) -> Loudness:
    from station.tools.meter import db

    m, _ = _metered(args, timeout_s, on_progress, fed_by=fed_by, true_peak=True)
    return Loudness(m.integrated_lufs, db(m.true_peak or 0.0), m.loudness_range_lu, m.duration_s)


def _metered(
    args: list[str],
    timeout_s: float,
    on_progress: Progress | None,
    *,
    fed_by: list[str] | None = None,
    **options: Any,
) -> tuple[Measured, str]:
    """What `args` decode to PCM_OUT, measured by tools/meter.py (`options` go to its Meter); and ffmpeg's log."""
    from station.tools.meter import Meter

    meters: list[Meter] = []

    def reader(rate: int, channels: int) -> Callable[[bytes], None]:
        meter = Meter(rate, channels, **options)
        meters.append(meter)
        return meter.feed

    log = run(args, timeout_s, on_progress, fed_by=fed_by, pcm=reader)
    if not meters:
        raise FfmpegFailed(log)
    return meters[0].result(), log


def _tee_escape(path: Path) -> str:
    return re.sub(r"([\\|\[\]:'])", r"\\\1", str(path))


# ---------------------------------------------------------------- measure


@dataclass(frozen=True)
class Loudness:
    integrated_lufs: float
    true_peak_db: float
    loudness_range_lu: float
    duration_s: float


# BS.1770 loudness and true peak, nothing else: the length comes from ffmpeg's own progress report, whose last
# out_time is the end of the last decoded frame (an astats sample count here cost an eighth of the measure).
MEASURE_CHAIN = "ebur128=peak=true:framelog=quiet"


class _Heard:
    """A progress callback that keeps the furthest point heard and passes each report on."""

    def __init__(self, then: Progress | None = None):
        self.seconds, self.then = 0.0, then

    def __call__(self, seconds: float) -> None:
        self.seconds = max(self.seconds, seconds)
        if self.then:
            self.then(seconds)


def measure(path: Path, timeout_s: float, input_format: str | None = None) -> Loudness:
    fmt = ["-f", input_format] if input_format else []
    heard = _Heard()
    log = run([*fmt, "-i", str(path), "-map", "0:a:0", "-af", MEASURE_CHAIN, "-f", "null", "-"], timeout_s, heard)
    return _loudness(log, heard.seconds)


def decoded_s(path: Path, input_format: str | None, *, up_to_s: float, timeout_s: float) -> float:
    """How long a file's first audio stream really plays, decoded rather than read from its header (which can
    say anything), counting no further than `up_to_s`. FfmpegFailed if it cannot be decoded. (The desk's
    upload check: it needs the length of the whole file, not of its first minute.)"""
    heard = _Heard()
    fmt = ["-f", input_format] if input_format else []
    run([*fmt, "-i", str(path), "-map", "0:a:0", "-t", f"{up_to_s:.3f}", "-f", "null", "-"], timeout_s, heard)
    return heard.seconds


def _loudness(log: str, duration_s: float) -> Loudness:
    if "Summary:" not in log:
        raise FfmpegFailed(log)
    summary = log[log.rfind("Summary:") :]
    return Loudness(
        integrated_lufs=_num(r"I:\s+(-?[\d.]+|-inf) LUFS", summary, -math.inf),
        true_peak_db=_num(r"Peak:\s+(-?[\d.]+|-inf) dBFS", summary, -math.inf),
        loudness_range_lu=_num(r"LRA:\s+(-?[\d.]+) LU", summary, 0.0),
        duration_s=duration_s,
    )


def cover(src: Path, out: Path, size_px: int, timeout_s: float) -> None:
    """A small square JPEG of the artwork for ID3: big artwork would weigh on every download."""
    run(
        [
            "-i",
            str(src),
            "-frames:v",
            "1",
            "-update",
            "1",
            "-vf",
            f"scale={size_px}:{size_px}:force_original_aspect_ratio=decrease,"
            f"pad={size_px}:{size_px}:(ow-iw)/2:(oh-ih)/2",
            "-fflags",
            "+bitexact",
            "-flags:v",
            "+bitexact",
            "-q:v",
            "3",
            "-f",
            "image2",
            "-c:v",
            "mjpeg",
            "-y",
            str(out),
        ],
        timeout_s,
    )


# ---------------------------------------------------------------- raw audio through pipes (the night's playout)
# Signed 16-bit little-endian PCM, the playout's one format: each process is handed to the caller running,
# its stderr piped for the caller to drain (a pipe nobody reads fills up, and then ffmpeg waits).
_PIPED = ["-hide_banner", "-v", "error", "-nostdin"]


def encoder(rate: int, channels: int, output: list[str], listing: bool = False) -> Process:
    """An ffmpeg reading PCM on stdin and encoding it as the `output` arguments say (codec, format, where).
    `listing`: its stdout is a pipe (the segment muxer's list of finished segments, `-segment_list pipe:1`)."""
    return subprocess.Popen(
        [executable(), *_PIPED, "-f", "s16le", "-ar", str(rate), "-ac", str(channels), "-i", "pipe:0", *output],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE if listing else subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def decoder(path: Path, seek_s: float, rate: int, channels: int) -> Process:
    """An ffmpeg writing `path` from `seek_s` on as PCM to stdout."""
    return _pcm_out(["-ss", f"{seek_s:.3f}", "-i", str(path)], rate, channels)


def listener(url: str, rate: int, channels: int) -> Process:
    """An ffmpeg listening to an HTTP stream (a live Icecast mount) and writing it as PCM to stdout, starting
    on the first audio (no long probing); it ends when the stream does."""
    return _pcm_out(["-probesize", "32768", "-analyzeduration", "0", "-fflags", "nobuffer", "-i", url], rate, channels)


def tone(frequency_hz: int, volume_db: float, rate: int, channels: int) -> Process:
    """An ffmpeg writing a sine tone, endlessly, as PCM to stdout."""
    return _pcm_out(
        ["-f", "lavfi", "-i", f"sine=frequency={frequency_hz}:sample_rate={rate}", "-af", f"volume={volume_db:.0f}dB"],
        rate,
        channels,
    )


def _pcm_out(source: list[str], rate: int, channels: int) -> Process:
    return subprocess.Popen(
        [executable(), *_PIPED, *source, "-f", "s16le", "-ac", str(channels), "-ar", str(rate), "pipe:1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def station_command(args: list[str], stdin_pipe: bool = False) -> Process:
    """The station's own command (`python -m station <args>`) as a process of its own, sharing this one's
    terminal: how `station run` keeps the stream apart, to start it again if it dies. `stdin_pipe`: its stdin
    is a pipe from here (a spare waiting for the word). Here because this module is the one that starts
    processes."""
    import sys

    return subprocess.Popen(
        [sys.executable, "-m", "station", *args], stdin=subprocess.PIPE if stdin_pipe else subprocess.DEVNULL
    )


def finish(process: Process, timeout_s: float) -> None:
    """End a process fed through its stdin: close the pipe so it can write out what it holds, wait for it,
    and kill it if it has not finished by then (an encoder or a recording must never hold the station up)."""
    try:
        if process.stdin is not None:
            process.stdin.close()
    except OSError:
        pass
    try:
        process.wait(timeout=timeout_s)
    except StillRunning:
        process.kill()
        process.wait()
