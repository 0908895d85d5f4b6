"""content/ → the one catalogue every output is rendered from.

Reads show folders, recordings and their sidecars; never writes anything.
Each problem stays with its file: a broken show or sidecar is reported and
the rest of the catalogue is built as usual.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from station.catalog.model import SLUG, Episode, EpisodeMeta, Show, ShowMeta
from station.config import Config, read_toml
from station.errors import Problem, Severity
from station.text import refused, shown
from station.tools import yaml_file
from station.validation import validate

# Phone voice notes arrive as .opus/.oga (Ogg) or .webm; AAC as .m4a or raw .aac.
RECORDING_SUFFIXES = {".wav", ".flac", ".mp3", ".m4a", ".aac", ".ogg", ".oga", ".opus", ".webm"}
# Audio we are sometimes sent but do not take: said plainly rather than ignored.
UNTAKEN_SUFFIXES = {".aif", ".aiff", ".wma", ".amr", ".3gp", ".caf", ".m4b", ".mp4", ".mov", ".mpeg", ".mpg"}
SIDECAR_EXAMPLE = {
    "title": 'title: "Finding the night bus home"',
    "description": 'description: "What this episode is about, in a few lines."',
    "presenters": "presenters: [{name: Sam, tier: first-name}]",
    "consent": "consent: {by: Sam, date: 2026-11-01, scope: [podcast, site, stream]}",
    "tier": "tier: first-name",
    "name": "name: Sam",
    "by": "by: Sam",
    "date": "date: 2026-11-01",
    "scope": "scope: [podcast, site, stream]",
}


@dataclass
class Catalog:
    shows: list[Show] = field(default_factory=list)
    episodes: list[Episode] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    waiting: list[str] = field(default_factory=list)  # still being written; left for the next run


def shows(config: Config) -> list[Show]:
    """The shows alone, their show.toml read and checked, without reading any episode's sidecar."""
    folder = config.content_dir / "shows"
    found = (
        [
            _load_show(config, p, [])
            for p in sorted(folder.iterdir())
            if p.is_dir() and not p.name.startswith((".", "_"))
        ]
        if folder.is_dir()
        else []
    )
    return [s for s in found if s is not None]


def load(config: Config, settle: bool = True) -> Catalog:
    catalog = Catalog()
    shows_dir = config.content_dir / "shows"
    if not shows_dir.is_dir():
        catalog.problems.append(
            Problem(
                config.rel(shows_dir),
                "there is no shows folder",
                "create content/shows/<show>/ with a show.toml (README: A station)",
            )
        )
        return catalog
    candidates: list[tuple[Show, Path]] = []
    for folder in sorted(p for p in shows_dir.iterdir() if p.is_dir() and not p.name.startswith((".", "_"))):
        show = _load_show(config, folder, catalog.problems)
        if show is None:
            continue
        catalog.shows.append(show)
        candidates += [(show, rec) for rec in _recordings(config, show, catalog.problems)]
    if settle:
        candidates = _settled(config, candidates, catalog)
    for show, recording in candidates:
        episode = _load_episode(config, show, recording, catalog.problems)
        if episode is not None:
            catalog.episodes.append(episode)
    return catalog


def _load_show(config: Config, folder: Path, problems: list[Problem]) -> Show | None:
    where = shown(config.rel(folder / "show.toml"))
    if not SLUG.match(folder.name):
        problems.append(
            Problem(
                shown(config.rel(folder)),
                "this show folder's name is used in web addresses, but it has "
                "capitals, spaces or other characters that do not work there",
                f"rename the folder to lower-case letters, digits and dashes, like `{_suggest(folder.name)}`",
            )
        )
        return None
    data, found = read_toml(folder / "show.toml", where)
    meta = None
    if not found:
        meta, found = validate(ShowMeta, data, where)
    problems += found
    if meta is None:
        return None
    show = Show(slug=folder.name, folder=folder, meta=meta)
    for key in ("artwork", "intro", "outro"):
        name = getattr(meta, key)
        if name and not _inside(folder, name):
            problems.append(
                Problem(
                    where,
                    f"the {key} `{name}` is outside this show's folder, and a show only uses its own files",
                    f'put it in {config.rel(folder)}/ and give its name there, like `{key} = "{_plain_name(name)}"`',
                    file=where,
                    key=(key,),
                )
            )
            return None
        if name and not (folder / name).is_file():
            problems.append(
                Problem(
                    where,
                    f"the {key} file `{name}` does not exist",
                    f"put it in {config.rel(folder)}/ or remove `{key}`",
                    file=where,
                    key=(key,),
                )
            )
            return None
    return show


def _inside(folder: Path, name: str) -> bool:
    """`name` leads to a place inside `folder`, links followed: no `..`, no absolute path, no link out.
    Artwork and intros are embedded in what is published, so a name must never reach a file elsewhere."""
    try:
        return (folder / name).resolve().is_relative_to(folder.resolve())
    except (OSError, ValueError):
        return False


def _plain_name(name: str) -> str:
    return Path(name.replace("\\", "/")).name or "cover.jpg"


def name_problem(name: str) -> str | None:
    """Why a file's name cannot be used (it would break every message and web address it appears in), or None."""
    if any("\udc80" <= c <= "\udcff" for c in name):  # bytes that are not UTF-8, as Python keeps them
        return "this file's name is not UTF-8 text (it was probably made on a computer set up for another language)"
    bad = next((c for c in name if c in _NAME_BREAKS or refused(c)), None)
    if bad is not None:
        return (
            f"this file's name holds an invisible character (U+{ord(bad):04X}) at character "
            f"{name.index(bad) + 1}, which messages and web addresses cannot show"
        )
    return None


# A line break or tab in a file name is harmless in text but not in a name: it splits every line it is printed on.
_NAME_BREAKS = set("\t\n\r\x0b\x0c\x85\u2028\u2029")


def _suggest(name: str) -> str:
    from station.catalog.model import slugify

    return slugify(name)


def recordings(config: Config, show: Show) -> list[Path]:
    """A show's recordings, whatever state their sidecars are in."""
    return _recordings(config, show, [])


def _recordings(config: Config, show: Show, problems: list[Problem]) -> list[Path]:
    parts = {show.path(show.meta.intro), show.path(show.meta.outro)}
    found = []
    for path in sorted(show.folder.iterdir()):
        if not path.is_file() or path.name.startswith(".") or path in parts:
            continue
        suffix = path.suffix.lower()
        why = name_problem(path.name)
        if why and (suffix in RECORDING_SUFFIXES or suffix in UNTAKEN_SUFFIXES or suffix == ".yaml"):
            # Said here, once, and the file left alone: nothing further on meets a name it cannot print.
            problems.append(
                Problem(
                    shown(config.rel(path)),
                    why,
                    "rename it with letters, digits, spaces and dashes (the recording and its "
                    ".yaml with the same name)",
                )
            )
            continue
        if suffix in RECORDING_SUFFIXES:
            found.append(path)
        elif suffix in UNTAKEN_SUFFIXES:
            problems.append(
                Problem(
                    shown(config.rel(path)),
                    f"we do not take {suffix} files",
                    "export it again as MP3, WAV, FLAC, M4A, OGG or WebM and drop that in",
                )
            )
        elif (
            suffix == ".yaml"
            and ".transcript" not in path.name
            and not any(
                path.with_suffix(s).exists() or path.with_suffix(s.upper()).exists() for s in RECORDING_SUFFIXES
            )
        ):
            problems.append(
                Problem(
                    shown(config.rel(path)),
                    "this metadata file has no recording beside it",
                    f"drop the recording in as {path.stem}.mp3 (or .wav, .m4a …), or remove this file",
                    Severity.WARNING,
                )
            )
    return found


def _settled(config: Config, candidates: list[tuple[Show, Path]], catalog: Catalog) -> list[tuple[Show, Path]]:
    """Leave out recordings that are still growing (being copied or uploaded)."""
    window = config.settings.build.settle_s
    now = time.time()
    recent = {}
    for _, path in candidates:
        st = path.stat()
        if now - st.st_mtime < window:
            recent[path] = (st.st_size, st.st_mtime_ns)
    if not recent:
        return candidates
    time.sleep(window)
    growing = set()
    for path, before in recent.items():
        try:
            st = path.stat()
        except FileNotFoundError:
            growing.add(path)
            continue
        if (st.st_size, st.st_mtime_ns) != before:
            growing.add(path)
    for path in sorted(growing):
        catalog.waiting.append(config.rel(path))
    return [(s, p) for s, p in candidates if p not in growing]


def _load_episode(config: Config, show: Show, recording: Path, problems: list[Problem]) -> Episode | None:
    sidecar = recording.with_suffix(".yaml")
    where = shown(config.rel(sidecar))
    if not sidecar.exists():
        problems.append(
            Problem(
                config.rel(recording),
                "this recording has no metadata file beside it",
                f"create {recording.stem}.yaml next to it with title, description, presenters and "
                "consent (README: Episode sidecar)",
            )
        )
        return None
    data, lines, problems_here = yaml_file.read(sidecar, where, "README: Episode sidecar")
    if data is None:
        problems += problems_here
        return None
    if "consent" not in data:
        problems.append(
            Problem(
                where,
                "there is no consent record, and nothing is published without one",
                "add `consent: {by: <who agreed>, date: <when>, scope: [podcast, site, stream]}`",
                file=where,
                key=("consent",),
            )
        )
    meta, found = validate(EpisodeMeta, data, where, lines=lines, example=SIDECAR_EXAMPLE)
    if "consent" not in data:  # its absence is said above, in plainer words
        found = [p for p in found if p.key != ("consent",)]
    problems += found
    if meta is None:
        return None
    if meta.artwork and not _inside(show.folder, meta.artwork):
        problems.append(
            Problem(
                where,
                f"the artwork `{meta.artwork}` is outside this show's folder, and an episode "
                "only uses its show's files",
                f"put the image beside the recording and give its name, like `artwork: {_plain_name(meta.artwork)}`",
                file=where,
                key=("artwork",),
            )
        )
        return None
    art = recording.parent / meta.artwork if meta.artwork else None
    if art and not art.is_file():
        problems.append(
            Problem(
                where,
                f"the artwork `{meta.artwork}` does not exist",
                "put the image beside the recording or remove `artwork`",
                file=where,
                key=("artwork",),
            )
        )
        return None
    return Episode(show=show, key=f"{show.slug}/{recording.name}", recording=recording, sidecar=sidecar, meta=meta)
