"""A recording and its sidecar from the desk's upload form, checked, then written into content/.

The desk is the presenter's hand in the content folder: what it writes is
exactly what a presenter would drop in by hand (a recording and its `.yaml`),
and the pipeline treats it like any other. Nothing is written until every
check has passed; then the sidecar and the recording are each renamed into
place, the sidecar first so the build never sees a recording without one.

Names are made here, never taken from the upload: the file is named after
the title (`finding-the-night-bus.mp3`, then `-2`, `-3` …) with the extension
of what the bytes really are, inside a show folder that already exists.

The whole upload is decoded before it is taken (through tools/ffmpeg, the only
module that runs ffmpeg), and its real length checked against `[desk]
max_minutes`: a file's size says little about how long it plays, and every
minute is normalised and transcribed.

A presenter credits an episode to their own presenter name (the name on their
account), or keeps the credit an episode already has; only a coordinator may
name someone else. Guests (presenters after the first) are added to a sidecar
by a coordinator and kept by every edit made here.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any
from zoneinfo import ZoneInfo

import yaml
from werkzeug.datastructures import MultiDict

from station.catalog import content as catalog_mod
from station.catalog.content import RECORDING_SUFFIXES
from station.catalog.model import EpisodeMeta, slugify
from station.catalog.recovery_map import Node, nodes
from station.config import Config
from station.desk.i18n import N_, _
from station.errors import FfmpegFailed, FieldProblem, Key, Problem, UploadRefused
from station.files import write_text
from station.tools import ffmpeg, yaml_file
from station.tools.sniff import KINDS, sniff
from station.validation import dotted, validate

TIERS = {
    "first-name": N_("First name only (the first word of your name, never more)"),
    "full-name": N_("Full name, as written"),
    "pseudonym": N_("A pseudonym (the name you give is the one used)"),
    "pseudonym-masked": N_("A pseudonym, and my voice disguised in the published audio"),
}
SCOPES = {"podcast": N_("Podcast feeds"), "site": N_("The station's website"), "stream": N_("The overnight stream")}
PARTS = {
    "hold": N_("The Hold"),
    "struggle": N_("The Struggle"),
    "recovery": N_("The Recovery"),
    "context": N_("Around us"),
    "capital": N_("Recovery capital"),
}


@dataclass
class Form:
    """The upload form's values as typed, so a refused form comes back filled in."""

    show: str = ""
    title: str = ""
    description: str = ""
    presenter_name: str = ""
    tier: str = "first-name"
    consent: bool = False
    scope: list[str] = field(default_factory=lambda: ["podcast", "site", "stream"])
    expires: str = ""
    content_notes: list[str] = field(default_factory=list)
    topics: list[str] = field(default_factory=list)
    redact: str = ""
    published_at: str = ""

    @classmethod
    def from_request(cls, form: MultiDict[str, str]) -> Form:
        return cls(
            show=form.get("show", ""),
            title=form.get("title", "").strip(),
            description=form.get("description", "").strip(),
            presenter_name=form.get("presenter_name", "").strip(),
            tier=form.get("tier", ""),
            consent=form.get("consent") == "yes",
            scope=form.getlist("scope"),
            expires=form.get("expires", "").strip(),
            content_notes=form.getlist("content_notes"),
            topics=form.getlist("topics"),
            redact=form.get("redact", ""),
            published_at=form.get("published_at", "").strip(),
        )


def topic_groups() -> list[tuple[str, list[Node]]]:
    """The systems map's nodes by part, in the users' own words, for the topic checkboxes."""
    groups: dict[str, list[Node]] = {}
    for node in nodes().values():
        groups.setdefault(node.part, []).append(node)
    return [(_(PARTS[part]) if part in PARTS else part, found) for part, found in groups.items()]


FORM_KEYS = ("title", "description", "presenters", "consent", "content_notes", "topics", "redact", "published_at")


def sidecar(
    form: Form, today: date, zone: str, base: dict[str, Any] | None = None, names: list[str] | None = None
) -> tuple[dict[str, Any], list[FieldProblem]]:
    """The sidecar the form describes, checked exactly as the build checks sidecars.

    With `base` (an existing sidecar), what the form does not show is kept: chapters, episode numbers,
    tags, a slug, and any presenter after the first (a guest). `names`: the only names this person
    may credit (None: anyone, for a coordinator); the first is theirs."""
    problems = []
    if names is not None and form.presenter_name.strip():
        given = " ".join(form.presenter_name.split()).casefold()
        mine = next((n for n in names if " ".join(n.split()).casefold() == given), None)
        if mine is None:
            own = names[0]
            problems.append(
                FieldProblem(
                    "presenter_name",
                    _(
                        "Your name: you can credit an episode only to your own "
                        "presenter name, %(name)s. To be credited under another "
                        "name (a pseudonym, say), ask a coordinator to change "
                        "the name on your account.",
                        name=own,
                    ),
                )
            )
        else:
            form.presenter_name = mine
    if not form.consent:
        problems.append(
            FieldProblem(
                "consent",
                _(
                    "Tick the consent box: nothing is published without your "
                    "agreement, and you can take it back at any time."
                ),
            )
        )
    base = dict(base or {})
    credits = base.get("presenters")
    others = [p for p in (credits if isinstance(credits, list) else [])[1:] if isinstance(p, dict)]
    data: dict[str, Any] = {
        "title": form.title,
        "description": form.description,
        "presenters": [{"name": form.presenter_name, "tier": form.tier}, *others],
        "consent": {"by": form.presenter_name, "date": today, "scope": form.scope},
    }
    for key in FORM_KEYS:
        base.pop(key, None)
    if form.expires:
        try:
            data["consent"]["expires"] = date.fromisoformat(form.expires)
        except ValueError:
            problems.append(FieldProblem("expires", _("Give the end of your consent as a date, like 2027-11-30.")))
    if form.content_notes:
        data["content_notes"] = form.content_notes
    if form.topics:
        data["topics"] = form.topics
    redact = [line.strip() for line in form.redact.splitlines() if line.strip()]
    if redact:
        data["redact"] = redact
    if form.published_at:
        try:
            when = datetime.fromisoformat(form.published_at)
            data["published_at"] = when if when.tzinfo else when.replace(tzinfo=ZoneInfo(zone))
        except ValueError:
            problems.append(
                FieldProblem("published_at", _("Give the publishing time as a date and time, like 2026-12-01 21:00."))
            )
    data.update(base)
    _checked, found = validate(EpisodeMeta, data, "sidecar")
    for p in found:
        said = FieldProblem(_field_of(p), _plain(p))
        if said not in problems:
            problems.append(said)
    return data, problems


def form_of(data: dict[str, Any], show: str) -> Form:
    """An existing sidecar as the form shows it, for editing the details."""
    credits, agreed = data.get("presenters"), data.get("consent")
    presenters = credits if isinstance(credits, list) else []
    first = presenters[0] if presenters and isinstance(presenters[0], dict) else {}
    consent = agreed if isinstance(agreed, dict) else {}
    published = data.get("published_at")
    return Form(
        show=show,
        title=str(data.get("title") or ""),
        description=str(data.get("description") or ""),
        presenter_name=str(first.get("name") or ""),
        tier=str(first.get("tier") or "first-name"),
        consent=False,
        scope=_listed(consent.get("scope")),
        expires=str(consent.get("expires") or ""),
        content_notes=_listed(data.get("content_notes")),
        topics=_listed(data.get("topics")),
        redact="\n".join(_listed(data.get("redact"))),
        published_at=published.strftime("%Y-%m-%dT%H:%M") if isinstance(published, datetime) else str(published or ""),
    )


def _listed(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else []


def update(
    config: Config,
    recording: Path,
    form: Form,
    upload: IO[bytes] | None,
    filename: str,
    today: date,
    names: list[str] | None = None,
) -> None:
    """New details for an episode, and a new version of its recording if one is given; or UploadRefused.

    A new version must be the same kind of file as the first, so it keeps the recording's name — and with
    it the episode's GUID and web address. `names`: as for `sidecar`."""
    side = recording.with_suffix(".yaml")
    base = existing(recording)
    if names is not None:
        names = [*names, *credited(base)]
    data, problems = sidecar(form, today, config.settings.station.timezone, base, names)
    if problems:
        raise UploadRefused(problems)
    if filename and upload is not None:
        part = _receive(recording.parent, upload)
        try:
            kind = _audio_kind(config, part)
            if KINDS[kind][1] != recording.suffix.lower():
                raise UploadRefused(
                    [
                        FieldProblem(
                            "recording",
                            _(
                                "The new version is %(new)s, but the first was %(first)s: "
                                "upload it in the same format, so the episode keeps "
                                "its place in podcast apps.",
                                new=KINDS[kind][1][1:].upper(),
                                first=recording.suffix[1:].upper(),
                            ),
                        )
                    ]
                )
            write_text(side, yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
            os.replace(part, recording)
        finally:
            part.unlink(missing_ok=True)
    else:
        write_text(side, yaml.safe_dump(data, sort_keys=False, allow_unicode=True))


def existing(recording: Path) -> dict[str, Any]:
    """The recording's sidecar as it is, read as the build reads it; {} if there is none or it cannot be used
    (a broken sidecar is replaced by what the form says)."""
    side = recording.with_suffix(".yaml")
    if not side.is_file():
        return {}
    data, _found, problems = yaml_file.read(side, side.name, "docs/episodes.md")
    return data if isinstance(data, dict) and not problems else {}


def credited(data: dict[str, Any]) -> list[str]:
    """The name the episode is credited to now (the first presenter's), if it has one."""
    first = (data.get("presenters") or [None])[0] if isinstance(data.get("presenters"), list) else None
    name = first.get("name") if isinstance(first, dict) else None
    return [name] if isinstance(name, str) and name.strip() else []


def _receive(folder: Path, upload: IO[bytes]) -> Path:
    """The upload, received into a hidden file in the show folder itself, so the last step is a rename on one
    disk (the catalogue skips hidden files)."""
    part = folder / f".upload-{secrets.token_hex(8)}.part"
    received = getattr(upload, "name", None)
    if isinstance(received, str) and os.path.isfile(received):
        try:
            # The desk received it into a file on the same disk: a second name for it, not a second copy.
            upload.flush()
            os.link(received, part)
            with part.open("rb+") as f:
                os.fsync(f.fileno())
            return part
        except OSError:
            part.unlink(missing_ok=True)  # another disk: copy it below
            upload.seek(0)
    try:
        with part.open("wb") as out:
            for block in iter(lambda: upload.read(1 << 20), b""):
                out.write(block)
            out.flush()
            os.fsync(out.fileno())
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    return part


def accept(
    config: Config, form: Form, upload: IO[bytes] | None, filename: str, today: date, names: list[str] | None = None
) -> Path:
    """Check everything, then write the recording and its sidecar; the recording's path, or UploadRefused.
    `names`: as for `sidecar`."""
    data, problems = sidecar(form, today, config.settings.station.timezone, names=names)
    folder = _show_folder(config, form.show)
    if folder is None:
        problems.insert(0, FieldProblem("show", _("Choose one of the station's shows.")))
    if not filename:
        problems.insert(0, FieldProblem("recording", _("Choose the recording to upload.")))
    elif Path(filename).suffix.lower() not in RECORDING_SUFFIXES:
        problems.insert(
            0,
            FieldProblem(
                "recording",
                _(
                    "This is not a recording we take: upload MP3, WAV, FLAC, "
                    "M4A, OGG or WebM (a phone's voice note is fine)."
                ),
            ),
        )
    if problems or folder is None or upload is None:  # no folder or no upload: already a problem above
        raise UploadRefused(problems)
    part = _receive(folder, upload)
    try:
        kind = _audio_kind(config, part)
        recording = _free_name(folder, slugify(form.title) or "recording", KINDS[kind][1])
        write_text(recording.with_suffix(".yaml"), yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
        os.replace(part, recording)
        return recording
    finally:
        part.unlink(missing_ok=True)


def _audio_kind(config: Config, path: Path) -> str:
    """What the bytes are, that ffmpeg can decode all of them as audio, and that it is not too long to take."""
    kind = sniff(path)
    if kind is None:
        raise UploadRefused(
            [
                FieldProblem(
                    "recording",
                    _("This file is not audio we can read. Export it again as MP3 or WAV and upload that."),
                )
            ]
        )
    most = config.settings.desk.max_minutes
    try:
        # Decoded whole, not read from the header (which can say anything), and no further than just past the
        # limit, so a recording of days costs no more to refuse than one a little too long.
        heard_s = ffmpeg.decoded_s(
            path, KINDS[kind][0], up_to_s=most * 60 + 1, timeout_s=config.settings.build.tool_timeout_s
        )
    except FfmpegFailed:
        raise UploadRefused(
            [
                FieldProblem(
                    "recording",
                    _(
                        "This recording is damaged or has no sound we can read. "
                        "Export it again from the original and upload that."
                    ),
                )
            ]
        ) from None
    if heard_s > most * 60:
        raise UploadRefused(
            [
                FieldProblem(
                    "recording",
                    _(
                        "This recording plays for longer than %(most)s minutes, the "
                        "most the desk takes. Split it into parts and upload each as "
                        "an episode of its own; a coordinator can raise the limit in "
                        "station.toml ([desk] max_minutes).",
                        most=most,
                    ),
                )
            ]
        )
    return kind


def _show_folder(config: Config, show: str) -> Path | None:
    """The show's folder, only if it is one of the station's shows (no path tricks)."""
    found = next((s.folder for s in catalog_mod.shows(config) if s.slug == show), None)
    if found is None or not found.resolve().is_relative_to(config.content_dir.resolve()):
        return None
    return found.resolve()


def _free_name(folder: Path, stem: str, suffix: str) -> Path:
    taken = {p.stem for p in folder.iterdir()}
    name, n = stem, 1
    while name in taken:
        n += 1
        name = f"{stem}-{n}"
    return folder / f"{name}{suffix}"


# The sidecar's keys as the form names them: (form field, what the field is called on the page).
_FIELDS: dict[Key, tuple[str, str]] = {
    ("title",): ("title", N_("Title")),
    ("description",): ("description", N_("About this episode")),
    ("presenters", 0, "name"): ("presenter_name", N_("Your name")),
    ("consent", "by"): ("presenter_name", N_("Your name")),
    ("presenters", 0, "tier"): ("tier", N_("How you are credited")),
    ("consent", "scope"): ("scope", N_("Where it may go")),
    ("consent", "expires"): ("expires", N_("Consent ends")),
    ("content_notes",): ("content_notes", N_("Content notes")),
    ("topics",): ("topics", N_("Topics")),
    ("redact",): ("redact", N_("Words to hide")),
    ("published_at",): ("published_at", N_("Publish from")),
}
_LISTS = ("redact", "topics", "content_notes")  # one form field for the whole list


def _field_of(problem: Problem) -> str:
    return _FIELDS.get(_key(problem), ("title", ""))[0]


def _key(problem: Problem) -> Key:
    """The sidecar key a problem is about, as the form has it; () for none the form shows."""
    key = problem.key or ()
    if None in key:
        return ()  # a key left empty (`~:`) is no field of the form's
    # A refused character names its entry (`redact[2]`); the form has one field for the whole list.
    if len(key) == 2 and key[0] in _LISTS and isinstance(key[1], int):
        return key[:1]
    return key


def _plain(problem: Problem) -> str:
    """The build's words for a sidecar key, said about the form's field instead."""
    key = _key(problem)
    named = dotted(key)  # as the build's words name it
    what = problem.what.split(": ", 1)[1] if key and ": " in problem.what else problem.what
    what = what.replace(f"`{named}` ", "this ")
    if key in (("presenters", 0, "name"), ("consent", "by")) and "empty" in what:
        return _("Your name: give the name you want to be credited under.")
    if key == ("consent", "scope"):
        return _("Where it may go: choose at least one place for the episode.")
    label = _(_FIELDS[key][1]) if key in _FIELDS else named
    fix = "" if problem.fix in ("correct it", "fill it in") else f" — {problem.fix}"
    text = f"{what}{fix}."
    return f"{label}: {text}" if label else text[:1].upper() + text[1:]
