"""Benchmark: what our transcription stage costs over faster-whisper alone, in time and in memory.

The issue's aims, for a 10-minute generated speech recording:

* time: our transcription stage against faster-whisper alone on the same
  audio with the same settings, as a ratio ours/baseline taken in the same
  run. Aim: <= 1.1. Also the real-time factor of each (processing seconds /
  audio seconds; lower is faster).
  "Ours" is what the pipeline does for an episode once the model is loaded:
  station.stages.transcribe.machine (Whisper.transcribe, then cues built by
  transcript.from_segments), the cache entry's JSON, redaction of a term list
  (transcribe.publishable), and the four published formats
  (transcript.FORMATS) written to files.
  "Baseline" is WhisperModel.transcribe(...) with list(segments), and nothing else.
  Both use the same model directory (whisper_models.resolve), the same
  decoding options (the Options from transcribe.options, passed field by
  field to faster-whisper, so they cannot drift; where the stage takes names,
  station, show, credit and the term to hide go in as hotwords, as the
  pipeline does), compute type and thread count (read from the settings).
  Our Whisper loads a freshly seeded model for every recording (so the same
  audio gives the same words), so that load (about 0.2 s for tiny.en) is
  inside "ours"; the baseline's model is loaded once, outside its timing.
* memory: the peak RSS (getrusage RUSAGE_SELF ru_maxrss) of our stage,
  model load included, in a fresh Python process so that nothing else
  (the other model, the baseline's allocations) is mixed in. The baseline's
  is measured the same way, in another fresh process, for comparison.
  These run first, while this process is small: on Linux ru_maxrss carries
  the parent's peak across fork + exec, so /proc/self/status VmHWM is given too.

Each timing is taken --repeat times (default 3), alternating which side runs
first, after an untimed warm-up of both on a 20-second clip (the first
transcription in a process also loads the VAD model, which faster-whisper then
keeps for the process); the best counts and every run is printed. Our per-phase times come
from wrapping functions the stage calls; nothing in station/ changes.

    .venv/bin/python -m bench.transcribe [--minutes 10] [--repeat 3] [--no-memory]

The recording is cached in bench/out/ (git-ignored) and reused: several
different espeak-ng paragraphs, in several voices, looped to length and
encoded as the pipeline publishes (MP3, mono, 64 kb/s, 44.1 kHz).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
import wave
from dataclasses import asdict
from inspect import signature
from pathlib import Path

from bench import summary, timing
from station.build.stages import transcribe as stage
from station.catalog import transcript as transcript_mod
from station.config import Settings
from station.tools import ffmpeg, whisper_models

OUT = Path(__file__).resolve().parent / "out"
STATION = {"name": "Bench", "base_url": "https://bench.example.org/", "contact_email": "bench@example.org"}
LANGUAGE = "en"
TERMS = ["Crawley"]  # said in two of the paragraphs below, so redaction has something to find
SHOW, CREDITS = "Night Owls", ["Sam"]

# (voice, words per minute, text): different speakers, speeds and subjects, so that Whisper
# does not see one sentence over and over. Looped to the asked length.
PARAGRAPHS = [
    (
        "en-us",
        150,
        "Good evening, and welcome to Night Owls, the programme for everyone who is still awake. Tonight we are "
        "talking about sleep, or rather the lack of it, and about the small things that make a long night shorter.",
    ),
    (
        "en-gb",
        140,
        "My name is Sam, and I have been volunteering on the helpline for about six years now. Most calls are not "
        "dramatic at all. People want someone to listen while they make a cup of tea and work out what to do next.",
    ),
    (
        "en-gb-scotland",
        135,
        "When I moved to Crawley I did not know a single person. The first winter was hard. I walked to the station "
        "every morning just to hear other voices, and in the spring I joined a choir that met on Thursday evenings.",
    ),
    (
        "en-us",
        165,
        "Here is a practical tip from a listener. Keep a notebook by the bed, and when your mind starts racing, write "
        "the worry down with a time to think about it tomorrow. It sounds too simple to work, but many people say "
        "it helps.",
    ),
    (
        "en-gb-x-rp",
        145,
        "We had a message from Priya in Crawley, who works night shifts at the hospital. She says the quiet hour "
        "before dawn is the loneliest, and that she listens to this programme on the bus home. Priya, this song is "
        "for you.",
    ),
    (
        "en-029",
        140,
        "If you are finding things difficult, you do not have to wait until it gets worse. Talk to a friend, your "
        "doctor, or one of the lines we read out at the end of every programme. They are free and open all night.",
    ),
]


def settings() -> Settings:
    return Settings(station=STATION)


def options() -> stage.Options:
    """The options the pipeline would decode this episode with (names as hotwords where the stage has them)."""
    if "names" in signature(stage.options).parameters:
        return stage.options(settings(), LANGUAGE, [STATION["name"], SHOW, *CREDITS, *TERMS])
    return stage.options(settings(), LANGUAGE)


def recording(minutes: float) -> Path:
    """A cached speech recording of `minutes`, encoded as the pipeline publishes its audio."""
    path = OUT / f"transcribe-speech-{minutes:g}min.mp3"
    if path.exists() and path.with_suffix(".json").exists():
        return path
    from tests.media import speech  # needs espeak-ng

    OUT.mkdir(parents=True, exist_ok=True)
    print(f"making {path.name} …", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        parts = [
            speech(text, Path(tmp) / f"p{i}.wav", voice=voice, speed=wpm, pad_s=0.6)
            for i, (voice, wpm, text) in enumerate(PARAGRAPHS)
        ]
        listing = Path(tmp) / "parts.txt"
        listing.write_text("".join(f"file '{p}'\n" for p in parts))
        lengths = []
        for p in parts:
            with wave.open(str(p)) as w:
                lengths.append(w.getnframes() / w.getframerate())
        reference(minutes, lengths, path.with_suffix(".json"))
        unit = Path(tmp) / "unit.wav"
        ff("-f", "concat", "-safe", "0", "-i", listing, "-c", "copy", unit)
        partial = path.with_name("partial-" + path.name)
        ff(
            "-stream_loop",
            "-1",
            "-i",
            unit,
            "-t",
            str(minutes * 60),
            "-c:a",
            "libmp3lame",
            "-b:a",
            "64k",
            "-ar",
            "44100",
            "-ac",
            "1",
            "-f",
            "mp3",
            partial,
        )
        partial.rename(path)
    return path


def reference(minutes: float, lengths: list[float], out: Path) -> None:
    out.write_text(json.dumps({"paragraph_s": lengths}))


def said(minutes: float) -> str:
    """What is said in the recording: the paragraphs that fit whole, and how much of the one cut off at the end."""
    lengths = json.loads(recording(minutes).with_suffix(".json").read_text())["paragraph_s"]
    whole, at, i = [], 0.0, 0
    while at + lengths[i % len(lengths)] <= minutes * 60:
        whole.append(PARAGRAPHS[i % len(PARAGRAPHS)][2])
        at += lengths[i % len(lengths)]
        i += 1
    text = " ".join(whole)
    cut = PARAGRAPHS[i % len(PARAGRAPHS)][2]
    share = (minutes * 60 - at) / lengths[i % len(lengths)]
    return (
        f"{len(whole)} whole paragraphs ({len(text.split())} words, terms said "
        f"{ {t: text.count(t) for t in TERMS} }), then {share:.0%} of one that begins {cut[:40]!r}"
    )


def ff(*args) -> None:
    subprocess.run([ffmpeg.executable(), "-hide_banner", "-nostdin", "-v", "error", "-y", *map(str, args)], check=True)


def model_dir() -> whisper_models.ModelDir:
    return whisper_models.resolve(settings().transcripts.model, Path.cwd(), OUT / "cache")


# ---------------------------------------------------------------- the two sides


def load_ours(model: whisper_models.ModelDir):
    t = settings().transcripts
    return stage.Whisper(model.path, t.compute_type, t.cpu_threads)


def load_baseline(model: whisper_models.ModelDir):
    from faster_whisper import WhisperModel

    t = settings().transcripts
    return WhisperModel(
        str(model.path), device="cpu", compute_type=t.compute_type, cpu_threads=t.cpu_threads, local_files_only=True
    )


def phase_timer():
    """Time the calls our stage makes, by name."""
    return timing.phase_timer(
        [(stage.Whisper, "transcribe", "whisper"), (stage, "from_segments", "cues"), (stage, "redact", "redact")]
    )


def our_pass(whisper, audio: Path, out: Path) -> tuple[float, dict[str, float], stage.Published]:
    """What the pipeline does per episode with a loaded model; returns (seconds, phases, what it publishes)."""
    s = settings()
    opts = options()
    out.mkdir(parents=True, exist_ok=True)
    with phase_timer() as phases:
        t = time.perf_counter()
        machine_t = stage.machine(whisper, audio, opts)
        t_files = time.perf_counter()
        (out / "machine.json").write_text(json.dumps(machine_t.to_dict(), sort_keys=True), encoding="utf-8")
        published = stage.publishable(machine_t, None, TERMS, s.transcripts.redact_margin_s)
        for suffix, render in transcript_mod.FORMATS.items():
            (out / f"episode{suffix}").write_text(render(published.transcript), encoding="utf-8")
        end = time.perf_counter()
    phases["files"] = end - t_files - phases.get("redact", 0.0)  # cache JSON + the four formats
    return end - t, phases, published


def baseline_pass(model, audio: Path) -> tuple[float, list, object]:
    """faster-whisper alone, with the options our stage uses."""
    kwargs = asdict(options())  # every field of Options is a faster-whisper keyword of the same name
    t = time.perf_counter()
    segments, info = model.transcribe(str(audio), **kwargs, word_timestamps=True)
    segments = list(segments)  # a generator: decoding happens here
    return time.perf_counter() - t, segments, info


def timed(fn, *args):
    t = time.perf_counter()
    result = fn(*args)
    return time.perf_counter() - t, result


# ---------------------------------------------------------------- time


def time_ratio(minutes: float, repeat: int) -> None:
    audio = recording(minutes)
    model = model_dir()
    s = settings()
    o = options()
    print(
        f"\nmodel {model.name} ({model.path}), compute_type={s.transcripts.compute_type}, "
        f"cpu_threads={s.transcripts.cpu_threads}, options {o.__dict__}, word_timestamps=True"
    )
    load_o, ours_model = timed(load_ours, model)
    load_b, base_model = timed(load_baseline, model)
    print(f"model load: ours {load_o:.2f} s, baseline {load_b:.2f} s (once per build, not in the ratio)")
    # The first transcription in a process pays for one-off set-up that the other side then finds done
    # (the VAD model is loaded once per process, thread pools start): warm both up, untimed.
    clip = OUT / "transcribe-warm-up.mp3"
    ff("-i", audio, "-t", "20", "-c", "copy", clip)
    warm_o, _, _ = our_pass(ours_model, clip, OUT / "transcribe-warm-up")
    warm_b, _, _ = baseline_pass(base_model, clip)
    print(f"warm-up on 20 s (not in the ratio): ours first {warm_o:.2f} s, then baseline {warm_b:.2f} s")

    print(f"\n== time: {minutes:g}-minute recording, best of {repeat}, alternating ==")
    print(f"{'run':>4} {'baseline s':>11} {'ours s':>8} {'whisper':>8} {'cues':>6} {'redact':>7} {'files':>6}  first")
    base_times, ours = [], []
    published = segments = info = None
    for i in range(1, repeat + 1):
        b = None
        if i % 2 == 0:  # alternate which side runs first
            b, segments, info = baseline_pass(base_model, audio)
        total, phases, published = our_pass(ours_model, audio, OUT / "transcribe-ours")
        if b is None:
            b, segments, info = baseline_pass(base_model, audio)
        base_times.append(b)
        ours.append((total, phases))
        print(
            f"{i:>4} {b:>11.2f} {total:>8.2f} {phases['whisper']:>8.2f} {phases['cues']:>6.3f} "
            f"{phases['redact']:>7.3f} {phases['files']:>6.3f}  {'baseline' if i % 2 == 0 else 'ours'}"
        )
    best_b = min(base_times)
    best_total, best_phases = min(ours, key=lambda o: o[0])
    print(
        f"best {best_b:>11.2f} {best_total:>8.2f} {best_phases['whisper']:>8.2f} {best_phases['cues']:>6.3f} "
        f"{best_phases['redact']:>7.3f} {best_phases['files']:>6.3f}"
    )
    ratio = best_total / best_b
    print(f"ratio ours/baseline = {ratio:.3f}  (aim <= 1.1: {'met' if ratio <= 1.1 else 'NOT met'})")
    summary.record("transcribe", f"stage / bare faster-whisper ({minutes:g} min)", ratio, 1.1)
    audio_s = info.duration
    print(
        f"real-time factor (processing s / audio s, {audio_s:.1f} s of audio): baseline {best_b / audio_s:.4f} "
        f"({audio_s / best_b:.1f}x real time), ours {best_total / audio_s:.4f} ({audio_s / best_total:.1f}x real time)"
    )
    post = best_total - best_phases["whisper"]
    print(
        f"ours beyond faster-whisper: {post:.3f} s post-processing (cues, redaction, cache JSON, 4 formats) "
        f"+ Whisper.transcribe's own {best_phases['whisper'] - best_b:+.2f} s against the best baseline"
    )

    # Sanity: the two sides decoded the same words, and the transcript is speech.
    base_words = "".join(w.word for s in segments for w in (s.words or []) if w.word.strip()).split()
    t = published.transcript
    print(
        f"\nwords: ours {len(t.text.split())} published ({len(t.words)} timed), baseline {len(base_words)}, "
        f"{len(segments)} segments → {len(t.cues)} cues; redaction found {published.found} "
        f"({len(published.hide)} spans to hide)"
    )
    machine = json.loads((OUT / "transcribe-ours" / "machine.json").read_text(encoding="utf-8"))
    machine_words = "".join(w[2] for c in machine["cues"] for w in c["words"]).split()
    print(
        f"same words as the baseline (machine transcript, before redaction): "
        f"{'yes' if machine_words == base_words else 'NO'}"
    )
    print(f"said: {said(minutes)}")
    print(f"first 200 characters: {t.text[:200]!r}")
    sizes = ", ".join(
        f"{p.name} {p.stat().st_size / 1024:.0f} KB" for p in sorted((OUT / "transcribe-ours").glob("episode.*"))
    )
    print(f"written: {sizes}")


# ---------------------------------------------------------------- memory


def memory(minutes: float) -> None:
    audio = recording(minutes)
    print(f"\n== memory: {minutes:g}-minute recording, each side in a fresh process ==", flush=True)
    print(
        f"{'side':<9} {'start MB':>9} {'model loaded MB':>16} {'peak MB':>8} {'VmHWM MB':>9} {'load s':>7} "
        f"{'pass s':>7}"
    )
    for side in ("ours", "baseline"):
        proc = subprocess.run(
            [sys.executable, "-m", "bench.transcribe", "--_memory-of", str(audio), "--_side", side],
            check=True,
            capture_output=True,
            text=True,
            cwd=Path(__file__).resolve().parent.parent,
        )
        m = json.loads(proc.stdout.strip().splitlines()[-1])
        print(
            f"{side:<9} {m['start_mb']:>9.0f} {m['loaded_mb']:>16.0f} {m['peak_mb']:>8.0f} {m['hwm_mb']:>9.0f} "
            f"{m['load_s']:>7.2f} {m['pass_s']:>7.2f}"
        )
    print(
        "(start, model loaded and peak: getrusage ru_maxrss; VmHWM: /proc/self/status, which does not carry a "
        "parent's peak across fork + exec)"
    )


def memory_child(audio: Path, side: str) -> None:
    """Run in a fresh process: load the model, one pass, then report getrusage as JSON on the last line."""

    def mb():  # ru_maxrss is in KB on Linux
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    start = mb()
    model = model_dir()
    load_s, loaded = timed(load_ours if side == "ours" else load_baseline, model)
    loaded_mb = mb()
    if side == "ours":
        pass_s, _, _ = our_pass(loaded, audio, OUT / "transcribe-memory")
    else:
        pass_s, _, _ = baseline_pass(loaded, audio)
    status = Path("/proc/self/status").read_text().splitlines()
    hwm = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:")) / 1024
    print(
        json.dumps(
            {
                "start_mb": start,
                "loaded_mb": loaded_mb,
                "peak_mb": mb(),
                "hwm_mb": hwm,
                "load_s": load_s,
                "pass_s": pass_s,
            }
        )
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10, help="length of the recording (default 10)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each timing; the best counts (default 3)")
    parser.add_argument("--no-memory", action="store_true", help="skip the fresh-process memory runs")
    parser.add_argument("--_memory-of", dest="memory_of", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--_side", dest="side", choices=("ours", "baseline"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_of:
        memory_child(args.memory_of, args.side)
        return 0
    print(timing.machine("faster-whisper", "ctranslate2", "onnxruntime", "av"))
    if not args.no_memory:  # first, while this process is small: ru_maxrss carries a parent's peak across exec
        memory(args.minutes)
    time_ratio(args.minutes, args.repeat)
    return 0


if __name__ == "__main__":
    sys.exit(main())
