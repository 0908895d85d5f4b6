"""Episode sidecars and show folders: each problem stays with its file, in plain words."""

import datetime as dt

from tests.conftest import sidecar


def messages(result) -> list[str]:
    return [str(p) for p in result.problems]


def test_a_valid_sidecar_builds(station):
    station.episode("night-bus.mp3")
    result = station.build()
    assert messages(result) == []
    assert [o.state for o in result.episodes] == ["built"]


def test_missing_sidecar(station):
    station.episode("night-bus.mp3", meta=False)
    assert messages(station.build()) == [
        "content/shows/night-talk/night-bus.mp3: this recording has no metadata file beside it — create "
        "night-bus.yaml next to it with title, description, presenters and consent (README: Episode sidecar)"
    ]


def test_invalid_yaml_names_the_line(station):
    station.episode("night-bus.mp3", meta="title: Finding the night bus home\ndescription: [oops\npresenters: []\n")
    assert messages(station.build()) == [
        "content/shows/night-talk/night-bus.yaml line 3: this is not valid YAML (expected ',' or ']', but got ':') — "
        "check the indentation and put text with a colon in quotes"
    ]


def test_no_consent_is_its_own_plain_message(station):
    station.episode("night-bus.mp3", consent=None)
    assert messages(station.build()) == [
        "content/shows/night-talk/night-bus.yaml: there is no consent record, and nothing is published without one — "
        "add `consent: {by: <who agreed>, date: <when>, scope: [podcast, site, stream]}`"
    ]


def test_consent_with_empty_scope(station):
    station.episode("night-bus.mp3", consent={"by": "Sam", "date": dt.date(2026, 11, 1), "scope": []})
    assert messages(station.build()) == [
        "content/shows/night-talk/night-bus.yaml line 9: `consent.scope`: consent has no scope, so it covers nothing — "
        "list where it may go: [podcast, site, stream]"
    ]


def test_every_sidecar_problem_at_once(station):
    station.episode(
        "night-bus.mp3",
        meta=sidecar(
            title=None,
            topics=["struggle.decision_to_recovr", "nowhere"],
            content_notes=["overdoes"],
            presenters=[{"name": "Sam", "tier": "full"}],
            published_at="2026-11-20T21:00:00",
            colour="blue",
        ),
    )
    assert messages(station.build()) == [
        'content/shows/night-talk/night-bus.yaml: `title` is missing — add it, for example `title: "Finding the night bus home"`',
        "content/shows/night-talk/night-bus.yaml line 4: `presenters[1].tier` is 'full', which is not one we know — "
        "use one of: full-name, first-name, pseudonym or pseudonym-masked",
        "content/shows/night-talk/night-bus.yaml line 15: `content_notes`: 'overdoes' is not a content note we know — did you mean `overdose`?",
        "content/shows/night-talk/night-bus.yaml line 12: `topics`: 'struggle.decision_to_recovr', 'nowhere' are not "
        "nodes of the recovery systems map — for 'struggle.decision_to_recovr' did you mean `struggle.decision_to_recover` "
        "(Decision to Recover)?; 'nowhere' is not close to any (README: Topics lists them all)",
        "content/shows/night-talk/night-bus.yaml line 17: `published_at` has no time zone — add one, like `2026-11-20T21:00:00+00:00`",
        "content/shows/night-talk/night-bus.yaml line 18: `colour` is not a setting we know — remove it, or use one of: "
        "allow_clipping, artwork, artwork_alt, chapters, consent, content_notes, description, episode, explicit, language, presenters, "
        "published_at, redact, season, slug, tags, title, topics, translate",
    ]


def test_a_broken_episode_never_stops_the_others(station):
    station.episode("good.mp3")
    station.episode("bad.mp3", topics=["nowhere"])
    station.episode("worse.mp3", meta=False)
    result = station.build()
    assert [(o.where, o.state) for o in result.episodes] == [("content/shows/night-talk/good.mp3", "built")]
    assert [p.where for p in result.errors] == [
        "content/shows/night-talk/bad.yaml line 13",
        "content/shows/night-talk/worse.mp3",
    ]


def test_bad_show_folder_and_show_toml(station):
    station.show("Night Talk")
    station.show("late-shift", toml='title = "Late shift"\ndescriptoin = "x"\n')
    station.episode("good.mp3", show="small-steps")
    result = station.build()
    assert messages(result) == [
        "content/shows/Night Talk: this show folder's name is used in web addresses, but it has capitals, spaces or "
        "other characters that do not work there — rename the folder to lower-case letters, digits and dashes, like `night-talk`",
        "content/shows/late-shift/show.toml: `description` is missing — add it",
        "content/shows/late-shift/show.toml: `descriptoin` is not a setting we know — did you mean `description`?",
    ]
    assert [o.state for o in result.episodes] == ["built"]


def test_files_we_do_not_take_and_orphan_sidecars(station):
    station.episode("good.mp3")
    (station.root / "content/shows/night-talk/memo.aiff").write_bytes(b"FORM")
    (station.root / "content/shows/night-talk/lonely.yaml").write_text("title: x\n")
    result = station.build()
    assert messages(result) == [
        "content/shows/night-talk/lonely.yaml: this metadata file has no recording beside it — drop the recording in "
        "as lonely.mp3 (or .wav, .m4a …), or remove this file",
        "content/shows/night-talk/memo.aiff: we do not take .aiff files — export it again as MP3, WAV, FLAC, M4A, OGG "
        "or WebM and drop that in",
    ]
    assert result.errors == [result.problems[1]] and [o.state for o in result.episodes] == ["built"]
