"""What a file really is, from its first bytes, whatever its name says.

Phones and chat apps often save a voice note under the wrong extension; we
tell ffmpeg the true format so it never guesses from the name.
"""

from __future__ import annotations

from pathlib import Path

# kind → (ffmpeg demuxer, the extension a presenter should use)
KINDS = {
    "wav": ("wav", ".wav"),
    "flac": ("flac", ".flac"),
    "mp3": ("mp3", ".mp3"),
    "m4a": ("mov", ".m4a"),
    "aac": ("aac", ".aac"),
    "ogg": ("ogg", ".ogg"),
    "webm": ("matroska", ".webm"),
}

EXPECTED = {
    ".wav": {"wav"},
    ".flac": {"flac"},
    ".mp3": {"mp3"},
    ".m4a": {"m4a"},
    ".aac": {"aac", "m4a"},
    ".ogg": {"ogg"},
    ".oga": {"ogg"},
    ".opus": {"ogg"},
    ".webm": {"webm"},
}


def sniff(path: Path) -> str | None:
    with path.open("rb") as f:
        head = f.read(64)
    if head[:4] in (b"RIFF", b"RF64") and head[8:12] == b"WAVE":
        return "wav"
    if head[:4] == b"fLaC":
        return "flac"
    if head[:4] == b"OggS":
        return "ogg"
    if head[:4] == b"\x1a\x45\xdf\xa3":
        return "webm"
    if head[4:8] == b"ftyp":
        return "m4a"
    if head[:3] == b"ID3":
        # ID3 may also sit in front of ADTS AAC or FLAC; look past it.
        size = (head[6] << 21) | (head[7] << 14) | (head[8] << 7) | head[9]
        with path.open("rb") as f:
            f.seek(10 + size)
            after = f.read(4)
        if after[:4] == b"fLaC":
            return "flac"
        if len(after) >= 2 and after[0] == 0xFF and (after[1] & 0xF6) == 0xF0:
            return "aac"
        return "mp3"
    if len(head) >= 2 and head[0] == 0xFF:
        if (head[1] & 0xF6) == 0xF0:  # ADTS sync, layer 0
            return "aac"
        if (head[1] & 0xE0) == 0xE0:  # MPEG audio frame sync
            return "mp3"
    return None


def ogg_cut_short(path: Path) -> bool:
    """True when an Ogg file does not end with a whole end-of-stream page.

    Ogg carries no total length, so a copy that stopped half-way decodes
    without complaint; its last page, though, is then partial or lacks the
    end-of-stream flag (RFC 3533, section 6).
    """
    size = path.stat().st_size
    with path.open("rb") as f:
        f.seek(max(0, size - 70000))  # a page is at most 65307 bytes
        tail = f.read()
    at = tail.rfind(b"OggS")
    if at < 0 or len(tail) - at < 27:
        return True
    segments = tail[at + 26]
    if len(tail) - at < 27 + segments:
        return True
    length = 27 + segments + sum(tail[at + 27 : at + 27 + segments])
    return at + length != len(tail) or not tail[at + 5] & 0x04


def image_size(path: Path) -> tuple[str, int, int] | None:
    """("png" | "jpeg", width, height) from the file's header, or None if it is neither."""
    import struct

    with path.open("rb") as f:
        head = f.read(32)
        if head[:8] == b"\x89PNG\r\n\x1a\n" and head[12:16] == b"IHDR":
            width, height = struct.unpack(">II", head[16:24])
            return "png", width, height
        if head[:2] != b"\xff\xd8":
            return None
        f.seek(2)
        while True:  # walk the JPEG markers to the frame header (SOF0 to SOF15, not DHT/JPG/DAC)
            marker = f.read(2)
            if len(marker) < 2 or marker[0] != 0xFF:
                return None
            if marker[1] in (0xD8, 0x01) or 0xD0 <= marker[1] <= 0xD7:
                continue
            length = struct.unpack(">H", f.read(2))[0]
            if 0xC0 <= marker[1] <= 0xCF and marker[1] not in (0xC4, 0xC8, 0xCC):
                height, width = struct.unpack(">xHH", f.read(5))
                return "jpeg", width, height
            f.seek(length - 2, 1)
