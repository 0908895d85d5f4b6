"""The docs name every setting, sidecar key, content note and topic the code knows."""

from pathlib import Path

import pydantic

from station.catalog.model import CONTENT_NOTES, EpisodeMeta, ShowMeta
from station.catalog.recovery_map import nodes
from station.config import Settings

DOCS = Path(__file__).resolve().parent.parent / "docs"


def keys(model) -> set[str]:
    found = set()
    for name, field in model.model_fields.items():
        found.add(name)
        inner = field.annotation
        args = getattr(inner, "__args__", ())
        for t in (inner, *args):
            if isinstance(t, type) and issubclass(t, pydantic.BaseModel):
                found |= keys(t)
    return found


def test_every_setting_is_documented():
    text = (DOCS / "station-toml.md").read_text()
    missing = {k for k in keys(Settings) if f"`{k}`" not in text and f"[{k}]" not in text and f"[[{k}]]" not in text}
    assert missing == set()


def test_every_sidecar_and_show_key_is_documented():
    text = (DOCS / "episodes.md").read_text()
    assert {k for k in keys(EpisodeMeta) | keys(ShowMeta) if f"`{k}`" not in text} == set()


def test_every_content_note_and_topic_is_listed():
    text = (DOCS / "episodes.md").read_text()
    assert {n for n in CONTENT_NOTES if f"`{n}`" not in text} == set()
    assert {n for n in nodes() if f"`{n}`" not in text} == set()


def test_every_resource_key_and_kind_is_documented():
    from station.catalog.resources import ResourceMeta, kinds

    text = (DOCS / "resources.md").read_text()
    assert {k for k in keys(ResourceMeta) if f"`{k}`" not in text} == set()
    assert {k for k in kinds() if f"`{k}`" not in text} == set()


def test_every_schedule_key_is_documented():
    from station.radio.schedule import PausedFile, ScheduleFile

    text = (DOCS / "schedule.md").read_text()
    assert {k for k in keys(ScheduleFile) | keys(PausedFile) if f"`{k}`" not in text} == set()
