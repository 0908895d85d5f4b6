"""station.toml: every problem at once, in words a coordinator can act on."""

from pathlib import Path

import pytest

from station import config as config_mod
from station.errors import ConfigError

REPO = Path(__file__).resolve().parent.parent


def problems(root: Path, text: str) -> list[str]:
    (root / "content").mkdir(parents=True, exist_ok=True)
    (root / "station.toml").write_text(text)
    with pytest.raises(ConfigError) as exc:
        config_mod.load(root)
    return [str(p) for p in exc.value.problems]


def test_the_demo_station_loads():
    config = config_mod.load(REPO)
    assert config.settings.station.name == "Night Owls Radio"
    assert config.settings.loudness.stereo_lufs == -16.0
    assert config.settings.loudness.mono_lufs == -19.0
    assert [c.name for c in config.settings.crisis_lines] == ["Samaritans", "Shout (text)"]


def test_every_problem_is_listed_at_once_with_did_you_mean(tmp_path):
    found = problems(
        tmp_path,
        """
[station]
nmae = "X"
base_url = "radio.example.org"
contact_email = "nobody"
language = "English"

[loudnes]
stereo_lufs = -16

[audio]
stereo_kbps = 500

[[crisis_lines]]
name = "Samaritans"
""",
    )
    assert found == [
        'station.toml: `station.name` is missing — add it, for example `name = "Night Owls Radio"`',
        "station.toml: `station.base_url`: 'radio.example.org' is not a web address — write the full address, like `https://radio.example.org/`",
        "station.toml: `station.language`: 'English' is not a language code — use a code like `en-GB` or `cy`",
        "station.toml: `station.contact_email`: 'nobody' is not an e-mail address — write one people can reach, like `hello@example.org`",
        "station.toml: `station.nmae` is not a setting we know — did you mean `name`?",
        "station.toml: `audio.stereo_kbps` is 500, but it must be at most 320 — change it",
        "station.toml: `crisis_lines[1].number` is missing — add it",
        "station.toml: `crisis_lines[1].hours` is missing — add it",
        "station.toml: `loudnes` is not a setting we know — did you mean `loudness`?",
    ]


def test_broken_toml_names_the_line(tmp_path):
    assert problems(tmp_path, '[station]\nname = "x\n') == [
        "station.toml: this is not valid TOML (Illegal character '\\n' (at line 2, column 10)) — "
        "fix the line it names; text values need quotes"
    ]


def test_wrong_types_say_what_is_expected(tmp_path):
    found = problems(
        tmp_path,
        """
[station]
name = "x"
base_url = "https://radio.example.org"
contact_email = "a@b.org"
[audio]
mono_kbps = "lots"
[loudness]
compress = "yes please"
""",
    )
    assert found == [
        "station.toml: `loudness.compress` should be true or false (found 'yes please') — write it as true or false",
        "station.toml: `audio.mono_kbps` should be a whole number (found 'lots') — write it as a whole number",
    ]


def test_missing_station_toml_and_missing_artwork(tmp_path):
    with pytest.raises(ConfigError) as exc:
        config_mod.load(tmp_path)
    assert [str(p) for p in exc.value.problems] == [
        "station.toml: this file is missing — create it (see README: “A station”)"
    ]
    found = problems(
        tmp_path, '[station]\nname="x"\nbase_url="https://x.org"\ncontact_email="a@b.org"\nartwork="art.png"\n'
    )
    assert found == [
        "station.toml: the artwork `art.png` does not exist — put the image there or fix `station.artwork`"
    ]


def test_base_url_gets_one_trailing_slash(tmp_path):
    (tmp_path / "content").mkdir()
    (tmp_path / "station.toml").write_text(
        '[station]\nname="x"\nbase_url="https://x.org/radio"\ncontact_email="a@b.org"\n'
    )
    assert config_mod.load(tmp_path).settings.station.base_url == "https://x.org/radio/"


def test_cli_reports_config_problems_without_a_traceback(station):
    (station.root / "station.toml").write_text('[station]\nname = "x"\n')
    run = station.cli("build")
    assert run.returncode == 2
    assert "Traceback" not in run.stderr
    assert "station.toml: `station.base_url` is missing" in run.stderr
    assert '→ add it, for example `base_url = "https://radio.example.org/"`' in run.stderr
    verbose = station.cli("build", "-v")
    assert verbose.returncode == 2 and "Traceback" in verbose.stderr


def test_packaged_recovery_map_is_the_shared_one():
    shared = REPO.parent / "shared" / "domain"
    if not shared.is_dir():
        pytest.skip("shared/ is not beside this checkout")
    for name in ("recovery-map.yaml", "resource-kinds.yaml"):
        assert (REPO / "station" / "data" / name).read_bytes() == (shared / name).read_bytes(), (
            f"station/data/{name} differs from shared/domain/{name}: copy the shared one in"
        )


def test_each_problem_carries_its_file_and_key_for_programs_to_read(tmp_path):
    (tmp_path / "content").mkdir()
    (tmp_path / "station.toml").write_text(
        '[station]\nname = "X"\nbase_url = "https://x.org/"\ncontact_email = "a@x.org"\n'
        "[audio]\nstereo_kbps = 500\n[[crisis_lines]]\nname = 'Samaritans'\nnumber = '116 123'\n"
    )
    with pytest.raises(ConfigError) as exc:
        config_mod.load(tmp_path)
    # Indices count from 0 in a key (from 1 in the words), so a program can index the data with it.
    assert [(p.file, p.key) for p in exc.value.problems] == [
        ("station.toml", ("audio", "stereo_kbps")),
        ("station.toml", ("crisis_lines", 0, "hours")),
    ]
