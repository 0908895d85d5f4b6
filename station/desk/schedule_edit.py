"""The overnight schedule as the desk's forms edit it: read a file into a draft, check it, write it back.

A draft holds the part of a `scheduler/*.yaml` a coordinator edits on the
web (name, window, rules, blocks); the rest of the file (timezone, dates,
material, announcements) is left as it is. Saving gives the candidate text
exactly the checks of `station schedule check` (`schedule.load` with the
candidate in place of the file) and writes it only when it has no error, so
the desk can never save a schedule the stream would refuse. The file keeps
its comments, key order and style (see yaml_edit); keys a file leaves out
stay out while they hold their default.

Problems name the file and a line of the *candidate* text: the one that was
refused, which is the file as it would have been written.
"""

from __future__ import annotations

import copy
import hashlib
import threading
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from station import files
from station.catalog import content as catalog_mod
from station.config import Config
from station.desk.i18n import _
from station.errors import Problem
from station.radio import schedule
from station.tools import yaml_edit, yaml_file
from station.validation import validate

SELECTION_KEYS = ["shows", "topics", "tags", "files"]
TOP_ORDER = list(schedule.ScheduleFile.model_fields)
BLOCK_ORDER = list(schedule.Block.model_fields)
RULE_ORDER = list(schedule.Rules.model_fields)
_RULE_SCALARS = [k for k in RULE_ORDER if k != "notes_after"]
PAUSED_HEADER = """\
# Presenters who are resting. Their episodes stay out of the nights up to
# `until` (the last night of the pause; leave it out to rest until the entry
# is removed), and other episodes or standby take the time. Nothing public
# says so. docs/schedule.md explains it.

"""

# The desk serves several coordinators at once: one read-check-write at a time.
_writing = threading.Lock()


@dataclass
class SelectionDraft:
    """What fills a block, or stands by for it."""

    shows: list[str] = field(default_factory=list)
    topics: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)


@dataclass
class BlockDraft:
    name: str
    days: list[str]  # a subset of schedule.DAYS in week order; all seven: every night
    start: str  # "HH:MM"
    end: str
    fill: SelectionDraft
    standby: SelectionDraft
    origin: int | None = None  # its place in the file when read (None: new), so its comments go with it


@dataclass
class NoteHourDraft:
    notes: list[str]
    after: str


@dataclass
class RulesDraft:
    ident_every_min: int | None
    signpost_every_min: int
    signpost_after_content_notes: bool
    no_repeat_nights: int
    presenter_max_percent: float
    newcomer_percent: float
    newcomer_days: int
    notes_after: list[NoteHourDraft]


@dataclass
class Draft:
    file: str  # relative to the station root, like "scheduler/night-owls.yaml"
    name: str
    window_start: str
    window_end: str
    rules: RulesDraft
    blocks: list[BlockDraft]
    revision: str = ""  # the file's hash when read: a save over someone else's change is refused


def schedule_files(config: Config) -> list[str]:
    """The schedules the desk may edit: every scheduler/*.yaml and *.yml but the pause list."""
    where = schedule.folder(config)
    if not where.is_dir():
        return []
    paths = sorted(where.glob("*.yaml")) + sorted(where.glob("*.yml"))
    return [config.rel(p) for p in paths if p.name != schedule.PAUSED_FILE and p.is_file()]


def read(config: Config, file: str) -> Draft:
    """The file as the form shows it; a key it leaves out shows its default."""
    path = _path(config, file)
    text = path.read_text(encoding="utf-8")
    data = _document(text, file).data
    window = data.get("window") if isinstance(data.get("window"), dict) else {}
    blocks = data.get("blocks") if isinstance(data.get("blocks"), list) else []
    return Draft(
        file=file,
        name=_text(data.get("name")),
        window_start=_clock(window.get("start")),
        window_end=_clock(window.get("end")),
        rules=_read_rules(data.get("rules")),
        blocks=[_read_block(b, i) for i, b in enumerate(blocks) if isinstance(b, dict)],
        revision=_revision(text),
    )


def save(config: Config, draft: Draft, shows: set[str] | None = None) -> list[Problem]:
    """Check the draft as `station schedule check` would and write it if nothing is wrong with it.

    Returns the problems of this file: with an error among them nothing was written; otherwise
    only warnings, and the file is saved (and the draft brought up to date with it). `shows` are the
    show folders (read from content/ if not given).
    """
    path = _path(config, draft.file)
    if shows is None:
        shows = {s.slug for s in catalog_mod.shows(config)}
    with _writing:
        text = path.read_text(encoding="utf-8")
        if draft.revision and draft.revision != _revision(text):
            return [
                Problem(
                    draft.file,
                    "this schedule was changed while you were editing it (in another window, or by hand)",
                    "open it again and make your change once more",
                    file=draft.file,
                )
            ]
        unchanged = _document(text, draft.file).text()
        candidate = _candidate(text, draft)
        found = [p for p in schedule.load(config, shows, {path: candidate}).problems if _concerns(p, draft.file)]
        if any(p.is_error for p in found):
            return found
        if candidate != unchanged:
            files.write_text(path, candidate)
            # The draft now matches the file, so it can be changed and saved again.
            draft.revision = _revision(candidate)
            for i, block in enumerate(draft.blocks):
                block.origin = i
        return found


def block_for(config: Config, draft: Draft, problem: Problem) -> int | None:
    """The index in `draft.blocks` of the block a problem from `save(config, draft)` is about, if any.

    The candidate lists the draft's blocks in the draft's order, so a problem's key in it
    (`blocks`, i, …) names the block; a problem about the blocks as a whole (a gap) names none."""
    key = problem.key or ()
    if not _concerns(problem, draft.file) or len(key) < 2 or key[0] != "blocks" or not isinstance(key[1], int):
        return None
    return key[1] if key[1] < len(draft.blocks) else None


def move_block(draft: Draft, index: int, by: int) -> None:
    """Move a block up (by=-1) or down (by=1); at either end it stays where it is."""
    if not 0 <= index < len(draft.blocks):
        raise IndexError(f"there is no block {index + 1}")
    to = min(max(index + by, 0), len(draft.blocks) - 1)
    draft.blocks.insert(to, draft.blocks.pop(index))


def new_block(draft: Draft) -> BlockDraft:
    """Append a block for the window's last hour, standing by with what the last block stands by with.

    Its fill is left empty for the coordinator to choose; `save` says so until they do.
    """
    try:
        end = schedule.clock_minutes(draft.window_end)
        length = schedule.Window.model_validate({"start": draft.window_start, "end": draft.window_end}).length_min
    except ValueError:
        end, length = 7 * 60, 60
    start = (end - min(60, length)) % (24 * 60)
    standby = copy.deepcopy(draft.blocks[-1].standby) if draft.blocks else SelectionDraft()
    block = BlockDraft(
        name=_("New block"),
        days=list(schedule.DAYS),
        start=schedule.clock_text(start),
        end=schedule.clock_text(end),
        fill=SelectionDraft(),
        standby=standby,
    )
    draft.blocks.append(block)
    return block


def paused(config: Config, presenter: str) -> schedule.Pause | None:
    """This presenter's entry in scheduler/paused.yaml (names match whatever their capitals)."""
    path = schedule.folder(config) / schedule.PAUSED_FILE
    if not path.is_file():
        return None
    text = path.read_text(encoding="utf-8")
    if _blank(text):
        return None
    found = _paused_file(config, text)
    key = presenter.strip().casefold()
    return next((p for p in found.paused if p.presenter.casefold() == key), None)


def set_paused(config: Config, presenter: str, until: date | None) -> None:
    """Pause a presenter up to and including the night `until` (None: until the pause is cleared)."""
    name = presenter.strip()
    if not name:
        raise ValueError(_("give the presenter's name, as in their sidecars"))
    path = schedule.folder(config) / schedule.PAUSED_FILE
    with _writing:
        text = path.read_text(encoding="utf-8") if path.is_file() else PAUSED_HEADER
        was = text if path.is_file() else None
        if _blank(text):  # nothing but comments yet: they stay on top
            text += ("" if text.endswith("\n") or not text else "\n") + "paused: []\n"
        doc, entries = _paused_document(config, text)
        entry = next((e for e in entries if _is_presenter(e, name)), None)
        if entry is None:
            listing = yaml_edit.Listing(entries)
            entry = yaml_edit.block_map({"presenter": name})
            listing.put([*entries, entry])
            yaml_edit.block_style(entries)
        if until is None:
            entry.pop("until", None)
        elif entry.get("until") != until:
            yaml_edit.put(entry, "until", until, ["presenter", "until"])
        _write_paused(config, path, doc, was)


def clear_paused(config: Config, presenter: str) -> None:
    """End a presenter's pause: their entry leaves scheduler/paused.yaml (the file and its comments stay)."""
    path = schedule.folder(config) / schedule.PAUSED_FILE
    with _writing:
        if not path.is_file():
            return
        text = path.read_text(encoding="utf-8")
        if _blank(text):
            return
        doc, entries = _paused_document(config, text)
        keep = [e for e in entries if not _is_presenter(e, presenter.strip())]
        if len(keep) != len(entries):
            yaml_edit.Listing(entries).put(keep)
            _write_paused(config, path, doc, text)


# Reading


def _path(config: Config, file: str) -> Path:
    # Only a schedule the desk lists may be read or written: never a path the form made up.
    if file not in schedule_files(config):
        raise ValueError(_("%(file)s is not one of the schedules in scheduler/", file=file))
    return config.root / file


def _document(text: str, file: str) -> yaml_edit.Document:
    # The station's own reader first: it refuses, with the line, what could make a round-trip load blow up
    # (aliases unfolding into millions of values, deep nesting, a huge file) before ruamel sees the text.
    data, _found, problems = yaml_file.read(Path(file), file, schedule.EXAMPLE, text)
    if data is None and problems:
        raise ValueError(
            _(
                "%(where)s: %(what)s — fix it by hand; `station schedule check` says where",
                where=problems[0].where,
                what=problems[0].what,
            )
        )
    try:
        doc = yaml_edit.Document(text)
    except Exception as exc:  # ruamel's errors have no common base worth naming
        raise ValueError(
            _(
                "%(file)s cannot be read as YAML (%(why)s) — fix it by hand; `station schedule check` says where",
                file=file,
                why=exc,
            )
        ) from exc
    if not yaml_edit.is_map(doc.data):
        raise ValueError(
            _("%(file)s is not a schedule — fill it in as in %(example)s", file=file, example=schedule.EXAMPLE)
        )
    return doc


def _revision(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _clock(value: Any) -> str:
    try:
        return schedule.clock_text(schedule.clock_minutes(value))
    except ValueError:
        return _text(value)  # shown as written, so the form can show the mistake `save` will name


def _days(value: Any) -> list[str]:
    if value is None or value in ("every", "all", "every night"):
        return list(schedule.DAYS)
    if not isinstance(value, list):
        return []
    named = {str(d).strip().lower()[:3] for d in value}
    return [d for d in schedule.DAYS if d in named]


def _strings(value: Any) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def _read_selection(value: Any) -> SelectionDraft:
    value = value if isinstance(value, dict) else {}
    return SelectionDraft(**{k: _strings(value.get(k)) for k in SELECTION_KEYS})


def _read_block(value: dict[str, Any], index: int) -> BlockDraft:
    return BlockDraft(
        name=_text(value.get("name")),
        days=_days(value.get("days")),
        start=_clock(value.get("start")),
        end=_clock(value.get("end")),
        fill=_read_selection(value.get("fill")),
        standby=_read_selection(value.get("standby")),
        origin=index,
    )


def _read_rules(value: Any) -> RulesDraft:
    value = value if isinstance(value, dict) else {}
    defaults = schedule.Rules()
    # A value of the wrong kind is carried as written, so saving an untouched form leaves it alone.
    scalars = {k: yaml_edit.plain(value.get(k, getattr(defaults, k))) for k in _RULE_SCALARS}
    notes = value.get("notes_after") if isinstance(value.get("notes_after"), list) else []
    return RulesDraft(
        **scalars,
        notes_after=[
            NoteHourDraft(notes=_strings(n.get("notes")), after=_clock(n.get("after")))
            for n in notes
            if isinstance(n, dict)
        ],
    )


# Writing


def _candidate(text: str, draft: Draft) -> str:
    doc = _document(text, draft.file)
    data = doc.data
    if _text(data.get("name")) != draft.name.strip():
        yaml_edit.put(data, "name", draft.name.strip(), TOP_ORDER)
    window = data.get("window")
    if not yaml_edit.is_map(window):
        window = yaml_edit.block_map()
        yaml_edit.put(data, "window", window, TOP_ORDER)
    _put_clock(window, "start", draft.window_start, ["start", "end"])
    _put_clock(window, "end", draft.window_end, ["start", "end"])
    _put_rules(data, draft.rules)
    _put_blocks(data, draft.blocks)
    return doc.text()


def _put_clock(m: yaml_edit.Map, key: str, value: str, order: list[str]) -> None:
    value = value.strip()
    try:
        minutes = schedule.clock_minutes(value)
    except ValueError:
        minutes = None
    if key in m and minutes is not None and _same_clock(m[key], minutes):
        return  # an unquoted 22:00 the coordinator wrote stays as they wrote it
    if key in m and minutes is None and _text(m[key]) == value:
        return
    yaml_edit.put(m, key, yaml_edit.quoted(schedule.clock_text(minutes) if minutes is not None else value), order)


def _same_clock(value: Any, minutes: int) -> bool:
    try:
        return schedule.clock_minutes(value) == minutes
    except ValueError:
        return False


def _same_value(old: Any, new: Any) -> bool:
    if isinstance(old, bool) or isinstance(new, bool) or old is None or new is None:
        return old is new or (type(old) is type(new) and old == new)
    if isinstance(old, (int, float)) and isinstance(new, (int, float)):
        return float(old) == float(new)
    return _text(old) == _text(new)


def _plain_number(value: Any) -> Any:
    # 25.0 from a form is written 25, as a coordinator would.
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _put_rules(data: yaml_edit.Map, rules: RulesDraft) -> None:
    defaults = schedule.Rules()
    m = data.get("rules")
    added = not yaml_edit.is_map(m)
    if added:
        m = yaml_edit.block_map()
    for key in _RULE_SCALARS:
        value = getattr(rules, key)
        if key in m:
            if not _same_value(m[key], value):
                yaml_edit.put(m, key, _plain_number(value), RULE_ORDER)
        elif not _same_value(getattr(defaults, key), value):  # a default the file leaves out stays out
            yaml_edit.put(m, key, _plain_number(value), RULE_ORDER)
    _put_note_hours(m, [([n.strip() for n in h.notes if n.strip()], h.after.strip()) for h in rules.notes_after])
    if added and len(m):
        yaml_edit.put(data, "rules", m, TOP_ORDER)


def _put_note_hours(rules: yaml_edit.Map, wanted: list[tuple[list[str], str]]) -> None:
    seq = rules.get("notes_after")
    if not yaml_edit.is_seq(seq):
        if wanted:
            yaml_edit.put(
                rules,
                "notes_after",
                yaml_edit.seq([_put_note_hour(yaml_edit.block_map(), notes, after) for notes, after in wanted]),
                RULE_ORDER,
            )
        return
    if len(seq) == len(wanted) and all(
        isinstance(item, dict) and _strings(item.get("notes")) == notes and _clock(item.get("after")) == _clock(after)
        for item, (notes, after) in zip(seq, wanted, strict=True)
    ):
        return
    listing = yaml_edit.Listing(seq)
    listing.put(
        [
            _put_note_hour(seq[i] if i < len(seq) and yaml_edit.is_map(seq[i]) else yaml_edit.block_map(), notes, after)
            for i, (notes, after) in enumerate(wanted)
        ]
    )
    if wanted:
        yaml_edit.block_style(seq)


def _put_note_hour(item: yaml_edit.Map, notes: list[str], after: str) -> yaml_edit.Map:
    if not (isinstance(item.get("notes"), list) and _strings(item["notes"]) == notes):
        yaml_edit.put_list(item, "notes", notes, ["notes", "after"])
    _put_clock(item, "after", after, ["notes", "after"])
    return item


def _put_blocks(data: yaml_edit.Map, blocks: list[BlockDraft]) -> None:
    seq = data.get("blocks")
    if not yaml_edit.is_seq(seq):
        seq = yaml_edit.seq()
        yaml_edit.put(data, "blocks", seq, TOP_ORDER)
    listing = yaml_edit.Listing(seq)  # before any change: it reads where each comment sits now
    old, used, items = list(seq), set(), []
    for block in blocks:
        o = block.origin
        if o is not None and 0 <= o < len(old) and o not in used and yaml_edit.is_map(old[o]):
            used.add(o)
            item = old[o]
        else:
            item = yaml_edit.block_map()
        _put_block(item, block)
        items.append(item)
    listing.put(items)
    if items:
        yaml_edit.block_style(seq)


def _put_block(m: yaml_edit.Map, block: BlockDraft) -> None:
    if _text(m.get("name")) != block.name.strip():
        yaml_edit.put(m, "name", block.name.strip(), BLOCK_ORDER)
    days = [d for d in schedule.DAYS if d in {str(x).strip().lower()[:3] for x in block.days}]
    if "days" in m:
        if _days(m["days"]) != days:
            yaml_edit.put_list(m, "days", days, BLOCK_ORDER)
    elif days != schedule.DAYS:  # no `days` means every night: leave it out while it still does
        yaml_edit.put(m, "days", yaml_edit.flow_seq(days), BLOCK_ORDER)
    _put_clock(m, "start", block.start, BLOCK_ORDER)
    _put_clock(m, "end", block.end, BLOCK_ORDER)
    for part in ("fill", "standby"):
        _put_selection(m, part, getattr(block, part))


def _put_selection(block: yaml_edit.Map, part: str, selection: SelectionDraft) -> None:
    m = block.get(part)
    if not yaml_edit.is_map(m):
        m = yaml_edit.flow_map()  # `fill: {shows: [night-talk]}`, as the demo writes it
        yaml_edit.put(block, part, m, BLOCK_ORDER)
    for key in SELECTION_KEYS:
        values = [v.strip() for v in getattr(selection, key) if v.strip()]
        old = m.get(key)
        if key in m and isinstance(old, list) and _strings(old) == values:
            continue
        if not values:
            m.pop(key, None)  # an empty list says nothing: leave the key out
        else:
            yaml_edit.put_list(m, key, values, SELECTION_KEYS)


def _concerns(problem: Problem, file: str) -> bool:
    return problem.file == file


# The pause list


def _paused_file(config: Config, text: str) -> schedule.PausedFile:
    where = f"scheduler/{schedule.PAUSED_FILE}"
    data, lines, problems = yaml_file.read(
        schedule.folder(config) / schedule.PAUSED_FILE, where, schedule.EXAMPLE, text
    )
    parsed = None
    if data is not None:
        parsed, problems = validate(schedule.PausedFile, data, where, lines)
    if parsed is None:
        raise ValueError("; ".join(str(p) for p in problems) + " (docs/schedule.md: Pauses)")
    return parsed


def _paused_document(config: Config, text: str) -> tuple[yaml_edit.Document, yaml_edit.Seq]:
    _paused_file(config, text)  # a broken pause list is fixed by hand first, never written over
    doc = yaml_edit.Document(text)
    entries = doc.data.get("paused")
    if not yaml_edit.is_seq(entries):
        entries = yaml_edit.seq()
        yaml_edit.put(doc.data, "paused", entries, ["paused"])
    return doc, entries


def _is_presenter(entry: Any, name: str) -> bool:
    return isinstance(entry, dict) and _text(entry.get("presenter")).strip().casefold() == name.casefold()


def _blank(text: str) -> bool:
    return all(not line.strip() or line.lstrip().startswith("#") for line in text.splitlines())


def _write_paused(config: Config, path: Path, doc: yaml_edit.Document, was: str | None) -> None:
    text = doc.text()
    _paused_file(config, text)
    if text != was:
        files.write_text(path, text)
