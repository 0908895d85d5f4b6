"""Make the demo station's recordings and artwork (run once; the results are committed).

    .venv/bin/python -m tests.make_demo

Speech is espeak-ng, so the demo carries no real person's voice. Each
recording has a second of silence at both ends, for the build to trim.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from station.tools import ffmpeg
from tests import media

ROOT = Path(__file__).resolve().parent.parent
SHOWS = ROOT / "content" / "shows"

EPISODES = {
    "night-talk/night-bus.mp3": {
        "voice": "en-us",
        "channels": 1,
        "text": (
            "Hi, Sam here. It is after midnight, and I am on the last bus home from my meeting. "
            "A year ago I would have got off a couple of stops early, outside the shop in Crawley. "
            "This time I stayed on. Nobody clapped, and that is fine. "
            "If you are on a bus somewhere tonight, stay on. The next stop can wait."
        ),
    },
    "night-talk/awake-at-three.m4a": {
        "voice": "en-us",
        "channels": 1,
        "text": (
            "This is Robin. It is the middle of the night and I cannot sleep. "
            "I lost a friend to an overdose last winter, and nights like this are when it comes back. "
            "What helps me is talking. So I am talking to you. "
            "If tonight is hard, the crisis lines are open, and this station will keep you company until it gets light."
        ),
    },
    "small-steps/first-meeting.ogg": {
        "voice": "en-us",
        "channels": 1,
        "text": (
            "My name is Alex Morgan, and I want to tell you about walking into my first meeting. "
            "I stood outside for twenty minutes. Someone came out for a cigarette and said, come in, it's warm. "
            "That was it. That was the whole trick. Somebody said come in."
        ),
    },
    "small-steps/kitchen-table.webm": {
        "voice": "en-us",
        "channels": 2,
        "text": (
            "I am Kestrel. Making a plan did not look like a care plan for me. "
            "It looked like a kitchen table, a pen, and a list of the people I owed money to. "
            "Then a list of the people I could phone. The second list was shorter, but it was not empty."
        ),
    },
    "small-steps/new-year.mp3": {
        "voice": "en-gb",
        "gap": 4,
        "channels": 2,
        "text": (
            "This one is for the new year. Small steps still count. "
            "Put one thing on paper that you want the rest of your life to have in it."
        ),
    },
}
# The stream's own sound (scheduler/night-owls.yaml uses it): idents, crisis signposting read out,
# an announcement, standby pieces and music beds.
STREAM = ROOT / "content" / "stream"
STREAM_SPEECH = {
    "idents/night-owls.mp3": "You are listening to Night Owls Radio. Peer-led company, right through the night.",
    "idents/still-here.mp3": "Night Owls Radio. Still here, still awake, with you.",
    "signposts/crisis-lines.mp3": (
        "If you need to talk to someone right now, you can. Samaritans are free, day or night, on one one six, "
        "one two three. Or text the word shout to eight five two five eight. You do not have to be in crisis to "
        "call."
    ),
    "announcements/winter-shelter.mp3": (
        "The winter night shelter at the Harbour Recovery Cafe is open every night until the end of February, "
        "from nine in the evening. No referral needed. Just turn up."
    ),
    "standby/breathing-space.mp3": (
        "Let us take a breathing space together. Breathe in slowly, for four. Hold it gently. And let it go, for "
        "six. Once more. In, for four. Hold. And out, slowly. However tonight is going, this minute is one you "
        "got through."
    ),
    "standby/night-thoughts.mp3": (
        "Some nights are long. We talk about what helped, and what did not, and about the people who sat with us "
        "when it was hard. If you are awake right now, you are not the only one. The night does end."
    ),
}
STREAM_BEDS = {"beds/slow-chord.mp3": 196.0, "beds/low-chord.mp3": 146.83}
INTRO = ("night-talk/parts/intro.ogg", "You are listening to Night Talk, on Night Owls Radio.")


def main() -> None:
    for rel, spec in EPISODES.items():
        media.speech(spec["text"], SHOWS / rel, voice=spec["voice"], channels=spec["channels"], gap=spec.get("gap", 0))
        print("made", rel)
    media.speech(INTRO[1], SHOWS / INTRO[0], pad_s=0.2)
    stream()
    artwork(ROOT / "content" / "artwork.jpg", "0x1d2b53", "0x7e2553")
    artwork(SHOWS / "small-steps" / "artwork.jpg", "0x0f4c3a", "0xc9a227")  # Small Steps' own


def artwork(art: Path, c0: str, c1: str) -> None:
    """Square artwork, 1400 px (the smallest Apple Podcasts takes), drawn without any font."""
    subprocess.run(
        [
            ffmpeg.executable(),
            "-hide_banner",
            "-v",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            f"gradients=s=1400x1400:c0={c0}:c1={c1}:x0=0:y0=0:x1=1400:y1=1400:d=1",
            "-frames:v",
            "1",
            "-q:v",
            "6",
            str(art),
        ],
        check=True,
    )
    print("made", art.relative_to(ROOT))


def stream() -> None:
    for rel, text in STREAM_SPEECH.items():
        media.speech(text, STREAM / rel, voice="en-gb" if "ident" in rel else "en-us", pad_s=0.3)
        print("made stream", rel)
    for rel, root_hz in STREAM_BEDS.items():
        media.bed(STREAM / rel, seconds=90, root_hz=root_hz)
        print("made stream", rel)


if __name__ == "__main__":
    main()
