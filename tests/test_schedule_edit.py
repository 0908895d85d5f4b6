"""Editing the overnight schedule from the desk's forms: the checks of `schedule check`, every comment kept."""

from __future__ import annotations

import datetime as dt
import shutil

import pytest

from station import config as config_mod
from station.desk import schedule_edit as edit
from station.radio import schedule as schedule_mod
from station.tools import yaml_edit
from tests.conftest import REPO

FILE = "scheduler/night-owls.yaml"
SHOWS = {"night-talk", "small-steps"}
ORIGINAL = (REPO / FILE).read_text(encoding="utf-8")


def copy_demo(root):
    """The demo station's settings, content and schedules, unbuilt: all a schedule check reads."""
    root.mkdir()
    shutil.copy(REPO / "station.toml", root)
    shutil.copytree(REPO / "content", root / "content")
    shutil.copytree(REPO / "scheduler", root / "scheduler")
    return root


@pytest.fixture
def desk(tmp_path):
    """(config, path of the demo schedule) in a copy of the demo station."""
    root = copy_demo(tmp_path / "station")
    return config_mod.load(root), root / FILE


def comment_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.lstrip().startswith("#")]


def test_a_draft_read_and_saved_unchanged_leaves_the_file_as_it_was(desk):
    config, path = desk
    before = path.stat().st_mtime_ns
    draft = edit.read(config, FILE)
    assert edit.schedule_files(config) == [FILE]
    assert (draft.name, draft.window_start, draft.window_end) == ("The regular week", "22:00", "07:00")
    assert [(b.name, b.start, b.end, b.origin) for b in draft.blocks] == [
        ("Late talk", "22:00", "01:00", 0),
        ("Small hours", "01:00", "05:00", 1),
        ("First light", "05:00", "07:00", 2),
    ]
    assert draft.blocks[1].days == schedule_mod.DAYS  # no `days`: every night
    assert draft.blocks[0].standby == edit.SelectionDraft(shows=["small-steps"], files=["stream/standby/*.mp3"])
    assert draft.rules.notes_after == [edit.NoteHourDraft(["overdose", "suicide", "self-harm"], "00:00")]
    assert edit.save(config, draft) == []
    assert path.read_text(encoding="utf-8") == ORIGINAL
    assert path.stat().st_mtime_ns == before, "nothing changed, so nothing is written"


def test_a_changed_end_and_fill_change_those_lines_only_and_the_gap_is_a_warning(desk):
    config, path = desk
    draft = edit.read(config, FILE)
    draft.blocks[0].end = "0:30"
    draft.blocks[0].fill.shows.append("small-steps")
    draft.blocks[0].fill.tags = [""]  # an empty box on the form: not written
    warnings = edit.save(config, draft, SHOWS)
    assert [str(p) for p in warnings] == [
        f"{FILE} line 41: on {day} nights no block covers 00:30–01:00, so it is filled with music beds only — add "
        "a block for that time, or widen one next to it"
        for day in ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
    ]
    assert {edit.block_for(config, draft, p) for p in warnings} == {None}  # a gap is in no block
    expected = ORIGINAL.replace('    end: "01:00"\n', '    end: "00:30"\n', 1).replace(
        "    fill: {shows: [night-talk]}\n", "    fill: {shows: [night-talk, small-steps]}\n", 1
    )
    assert expected != ORIGINAL
    assert path.read_text(encoding="utf-8") == expected
    assert comment_lines(path.read_text(encoding="utf-8")) == comment_lines(ORIGINAL)


def test_an_overlap_is_refused_with_the_words_of_schedule_check_and_nothing_is_written(desk, tmp_path):
    config, path = desk
    draft = edit.read(config, FILE)
    draft.blocks[0].end = "02:00"
    found = edit.save(config, draft, SHOWS)
    assert path.read_text(encoding="utf-8") == ORIGINAL
    assert str(found[0]) == (
        f"{FILE} line 49: the blocks “Late talk” and “Small hours” overlap on Monday nights "
        "(01:00–02:00) — change one's start or end, or its days"
    )
    # The same file edited by hand says the same, word for word, under `schedule check`.
    other = copy_demo(tmp_path / "by-hand")
    (other / FILE).write_text(ORIGINAL.replace('    end: "01:00"\n', '    end: "02:00"\n', 1), encoding="utf-8")
    by_hand = schedule_mod.load(config_mod.load(other), SHOWS).problems
    assert found == by_hand
    assert edit.block_for(config, draft, found[0]) == 1


def test_a_misspelt_show_and_an_empty_standby_are_refused(desk):
    config, path = desk
    draft = edit.read(config, FILE)
    draft.blocks[2].fill.shows = ["smal-steps"]
    draft.blocks[2].standby = edit.SelectionDraft()
    found = edit.save(config, draft)
    assert [str(p) for p in found] == [
        f"{FILE} line 59: `blocks[3].standby`: standby is empty — every block needs standby material, so a paused "
        "presenter or a broken file never means dead air: list shows, topics, tags or files"
    ]
    # The desk finds the block from the problem's key, never from its words or its line.
    assert (found[0].file, found[0].key) == (FILE, ("blocks", 2, "standby"))
    assert edit.block_for(config, draft, found[0]) == 2
    draft.blocks[2].standby.files = ["stream/standby/breathing-space.mp3"]
    found = edit.save(config, draft)
    assert [str(p) for p in found] == [
        f"{FILE} line 58: the block “First light” names the show “smal-steps”, which does not exist — did you mean "
        "`small-steps`?"
    ]
    assert (found[0].file, found[0].key) == (FILE, ("blocks", 2, "fill", "shows", 0))
    assert edit.block_for(config, draft, found[0]) == 2
    assert path.read_text(encoding="utf-8") == ORIGINAL


def test_a_block_is_added_moved_and_removed_with_its_comments(desk):
    config, path = desk
    # A comment line above a block belongs to it, wherever it moves.
    about = "  # The small hours are the hardest: the calmest material.\n"
    path.write_text(ORIGINAL.replace("  - name: Small hours\n", about + "  - name: Small hours\n"), encoding="utf-8")
    draft = edit.read(config, FILE)
    draft.blocks[2].end = "06:00"
    block = edit.new_block(draft)
    assert (block.name, block.start, block.end, block.days, block.origin) == (
        "New block",
        "06:00",
        "07:00",
        schedule_mod.DAYS,
        None,
    )
    assert block.standby == draft.blocks[2].standby and block.standby is not draft.blocks[2].standby
    block.name, block.fill.tags = "Waking up", ["calm"]
    assert edit.save(config, draft, SHOWS) == []
    added = ORIGINAL.replace(
        '    end: "07:00"\n    fill: {shows: [small-steps]}', '    end: "06:00"\n    fill: {shows: [small-steps]}'
    )
    added = added.replace("  - name: Small hours\n", about + "  - name: Small hours\n") + (
        "\n"
        "  - name: Waking up\n"
        '    start: "06:00"\n'
        '    end: "07:00"\n'
        "    fill: {tags: [calm]}\n"
        "    standby: {shows: [night-talk], files: [stream/standby/breathing-space.mp3]}\n"
    )
    assert path.read_text(encoding="utf-8") == added

    draft = edit.read(config, FILE)
    edit.move_block(draft, 1, 1)  # Small hours down below First light
    edit.move_block(draft, 3, 1)  # already last: stays
    assert [b.name for b in draft.blocks] == ["Late talk", "First light", "Small hours", "Waking up"]
    assert edit.save(config, draft, SHOWS) == []
    moved = path.read_text(encoding="utf-8")
    assert moved.index("  - name: First light") < moved.index(
        about + '  - name: Small hours\n    start: "01:00"             # no days: every night\n'
    )
    assert comment_lines(moved) == [c for c in comment_lines(added) if c != about.rstrip("\n")] + [about.rstrip("\n")]
    assert "\n\n  - name: First light" in moved and "\n\n" + about + "  - name: Small hours" in moved

    draft = edit.read(config, FILE)
    draft.blocks[0].end = "05:00"
    del draft.blocks[2]  # Small hours
    assert edit.save(config, draft, SHOWS) == []
    removed = path.read_text(encoding="utf-8")
    assert "Small hours" not in removed and about not in removed
    assert removed == added.replace('    end: "01:00"\n', '    end: "05:00"\n', 1).replace(
        about + "  - name: Small hours\n"
        '    start: "01:00"             # no days: every night\n'
        '    end: "05:00"\n'
        "    fill: {topics: [struggle, recovery]}\n"
        "    standby: {files: [stream/standby/*.mp3]}\n"
        "\n",
        "",
    )


def test_days_are_written_only_when_they_are_not_every_night(desk):
    config, path = desk
    draft = edit.read(config, FILE)
    draft.blocks[0].days = list(schedule_mod.DAYS)  # it lists all seven: left as it is
    draft.blocks[1].days = ["sat", "fri"]  # it had none
    found = edit.save(config, draft, SHOWS)
    assert (
        [p.what for p in found if not p.is_error]
        == [
            f"on {day} nights no block covers 01:00–05:00, so it is filled with music beds only"
            for day in ("Monday", "Tuesday", "Wednesday", "Thursday", "Sunday")
        ]
        == [p.what for p in found]
    )
    assert path.read_text(encoding="utf-8") == ORIGINAL.replace(
        "  - name: Small hours\n", "  - name: Small hours\n    days: [fri, sat]\n"
    )


def test_rules_change_in_place_and_a_rule_left_out_stays_out_at_its_default(desk):
    config, path = desk
    text = ORIGINAL.replace('  newcomer_days: 90            # "new" = first heard in the last 90 days\n', "")
    path.write_text(text, encoding="utf-8")
    draft = edit.read(config, FILE)
    assert draft.rules.newcomer_days == 90
    draft.rules.ident_every_min = None
    draft.rules.signpost_every_min = 60
    draft.rules.presenter_max_percent = 30.0
    draft.rules.notes_after.append(edit.NoteHourDraft(["bereavement"], "2:00"))
    assert edit.save(config, draft, SHOWS) == []
    assert path.read_text(encoding="utf-8") == text.replace(
        "  ident_every_min: 30          #", "  ident_every_min: null        #"
    ).replace("  signpost_every_min: 45       #", "  signpost_every_min: 60       #").replace(
        "  presenter_max_percent: 25    #", "  presenter_max_percent: 30    #"
    ).replace('      after: "00:00"\n', '      after: "00:00"\n    - notes: [bereavement]\n      after: "02:00"\n')
    assert edit.read(config, FILE).rules.ident_every_min is None

    draft = edit.read(config, FILE)
    draft.rules.newcomer_days = 60
    draft.rules.notes_after = []
    assert edit.save(config, draft, SHOWS) == []
    saved = path.read_text(encoding="utf-8")
    assert (
        "  newcomer_percent: 15         # new voices get at least this share of episode time\n"
        "  newcomer_days: 60\n  notes_after: []" in saved
    )
    assert comment_lines(saved) == [c for c in comment_lines(text) if "hardest material" not in c]
    assert schedule_mod.load(config, SHOWS).files[0].data.rules.newcomer_days == 60


def test_rules_a_file_leaves_out_come_in_as_a_section_of_their_own(desk):
    config, path = desk
    rules = ORIGINAL[ORIGINAL.index("rules:") : ORIGINAL.index("material:")]
    path.write_text(ORIGINAL.replace(rules, ""), encoding="utf-8")
    draft = edit.read(config, FILE)
    assert draft.rules == edit.RulesDraft(30, 60, True, 3, 25, 15, 90, [])
    draft.rules.signpost_every_min = 45
    draft.rules.notes_after = [edit.NoteHourDraft(["overdose"], "01:00")]
    assert edit.save(config, draft, SHOWS) == []
    assert path.read_text(encoding="utf-8") == ORIGINAL.replace(
        rules, 'rules:\n  signpost_every_min: 45\n  notes_after:\n    - notes: [overdose]\n      after: "01:00"\n\n'
    )


def test_a_saved_draft_can_be_changed_and_saved_again(desk):
    config, path = desk
    draft = edit.read(config, FILE)
    edit.move_block(draft, 0, 1)
    assert edit.save(config, draft, SHOWS) == []
    assert [b.origin for b in draft.blocks] == [0, 1, 2]
    draft.blocks[0].name = "Deep night"
    assert edit.save(config, draft, SHOWS) == []
    assert [b.name for b in edit.read(config, FILE).blocks] == ["Deep night", "Late talk", "First light"]
    assert comment_lines(path.read_text(encoding="utf-8")) == comment_lines(ORIGINAL)


def test_a_rule_out_of_bounds_is_refused(desk):
    config, path = desk
    draft = edit.read(config, FILE)
    draft.rules.presenter_max_percent = 120
    assert [str(p) for p in edit.save(config, draft, SHOWS)] == [
        f"{FILE} line 22: `rules.presenter_max_percent` is 120, but it must be at most 100.0 — change it"
    ]
    assert path.read_text(encoding="utf-8") == ORIGINAL


def test_a_save_over_someone_elses_change_is_refused(desk):
    config, path = desk
    draft = edit.read(config, FILE)
    path.write_text(ORIGINAL.replace("name: The regular week", "name: The week"), encoding="utf-8")
    draft.blocks[0].name = "Late chat"
    assert [str(p) for p in edit.save(config, draft, SHOWS)] == [
        f"{FILE}: this schedule was changed while you were editing it (in another window, or by hand) — open it "
        "again and make your change once more"
    ]
    assert "Late talk" in path.read_text(encoding="utf-8")


def test_only_schedules_in_scheduler_can_be_read_or_saved(desk):
    config, _ = desk
    draft = edit.read(config, FILE)
    (config.root / "scheduler" / "paused.yaml").write_text("paused: []\n")
    for file in (
        "station.toml",
        "scheduler/../station.toml",
        "scheduler/paused.yaml",
        "/etc/passwd",
        str(config.root / FILE),
    ):
        draft.file = file
        with pytest.raises(ValueError, match="is not one of the schedules in scheduler/"):
            edit.save(config, draft, SHOWS)
        with pytest.raises(ValueError):
            edit.read(config, file)
    assert (config.root / "station.toml").read_text() == (REPO / "station.toml").read_text()


PAUSED = """\
# Resting presenters (the coordinators' list).

paused:
  - presenter: Robin      # back after the holidays
    until: 2026-12-20

  # Sam asked for a break; no end date yet.
  - presenter: Sam
"""


def test_a_pause_is_set_changed_and_cleared_keeping_the_comments(desk):
    config, _ = desk
    path = config.root / "scheduler" / "paused.yaml"
    path.write_text(PAUSED, encoding="utf-8")
    assert edit.paused(config, "robin") == schedule_mod.Pause(presenter="Robin", until=dt.date(2026, 12, 20))
    assert edit.paused(config, "Alex") is None
    edit.set_paused(config, "ROBIN", dt.date(2027, 1, 3))
    edit.set_paused(config, "sam", dt.date(2026, 12, 1))
    edit.set_paused(config, "Alex", None)
    assert (
        path.read_text(encoding="utf-8")
        == PAUSED.replace("2026-12-20", "2027-01-03").replace(
            "  - presenter: Sam\n", "  - presenter: Sam\n    until: 2026-12-01\n"
        )
        + "\n  - presenter: Alex\n"
    )
    assert schedule_mod.load(config, SHOWS).paused_on(dt.date(2026, 12, 2)) == {"robin", "alex"}
    edit.clear_paused(config, "sam")
    edit.clear_paused(config, "Alex")
    edit.set_paused(config, "Robin", None)
    assert path.read_text(encoding="utf-8") == (
        "# Resting presenters (the coordinators' list).\n\npaused:\n  - presenter: Robin      # back after the "
        "holidays\n"
    )
    edit.clear_paused(config, "robin")
    assert path.read_text(encoding="utf-8") == "# Resting presenters (the coordinators' list).\n\npaused: []\n"
    assert schedule_mod.load(config, SHOWS).problems == []


def test_the_first_pause_makes_the_file_with_a_word_on_what_it_is(desk):
    config, _ = desk
    path = config.root / "scheduler" / "paused.yaml"
    assert edit.paused(config, "Robin") is None
    edit.clear_paused(config, "Robin")
    assert not path.exists()
    edit.set_paused(config, " Robin ", dt.date(2026, 12, 20))
    assert path.read_text(encoding="utf-8") == (
        edit.PAUSED_HEADER + "paused:\n  - presenter: Robin\n    until: 2026-12-20\n"
    )
    assert edit.schedule_files(config) == [FILE]
    with pytest.raises(ValueError, match="give the presenter's name"):
        edit.set_paused(config, "  ", None)


@pytest.mark.parametrize(
    "text",
    [
        ORIGINAL,
        "name: Week\nwindow:\n    start: 22:00\n    end: '07:00'\nblocks:\n-   name: A\n    days: every\n    "
        "fill:\n        shows: [x]\n    standby: {files: [y]}   # why\nrules:\n    ident_every_min: null\n",
        "---\nname: Week\nblocks:\n  - name: A\n    fill: {shows: [x], tags: []}\n",
    ],
)
def test_a_file_read_and_written_unchanged_comes_back_byte_for_byte(text):
    assert yaml_edit.Document(text).text() == text
