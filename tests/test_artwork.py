"""Artwork and identity on the website: images in the sizes a phone can afford, made once per content, with
words for what they show; the station's logo and colours from station.toml, kept readable (WCAG 2.2 AA)."""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path

import pytest
from PIL import Image

from station import config as config_mod
from station.config import IMAGE_FORMATS, IMAGE_WIDTHS
from station.tools.images import writable
from station.web.site import duration_words
from tests.test_site import PAGE_TYPES

EPISODE = "shows/night-talk/finding-the-night-bus-home/index.html"


def square(path: Path, colour: tuple[int, int, int], px: int = 1400) -> Path:
    Image.new("RGB", (px, px), colour).save(path, "JPEG", quality=90)
    return path


def pictures(html: str) -> list[dict]:
    """Each <picture> of a page: its sources' types and srcsets, and its <img>'s attributes."""
    found = []
    for block in re.findall(r"<picture\b.*?</picture>", html, flags=re.S):
        img = dict(re.findall(r'(\w[\w-]*)="([^"]*)"', re.search(r"<img\b[^>]*>", block)[0]))
        sources = re.findall(r'<source type="([^"]+)" sizes="[^"]+" srcset="([^"]+)"', block)
        found.append({"img": {k: unescape(v) for k, v in img.items()}, "sources": sources})
    return found


def test_the_demo_shows_its_artwork_on_home_show_and_episode_pages_in_sizes_and_formats(demo):
    root, _ = demo
    site = root / "site"
    for name in ("home", "show", "episode", "episode with content notes"):  # Night Talk has no artwork of its own
        rel = PAGE_TYPES[name]
        found = pictures((site / rel).read_text())
        assert len(found) == 1, name
        pic = found[0]
        alt = "Deep blue turning to plum, like the sky after midnight"  # [site] artwork_alt in station.toml
        assert pic["img"]["alt"] == alt
        assert [t for t, _ in pic["sources"]][-1] == "image/webp"
        for _, srcset in pic["sources"]:
            widths = [int(w) for w in re.findall(r" (\d+)w", srcset)]
            assert widths == [180, 360, 720]
        assert pic["img"]["width"] == pic["img"]["height"] == "180"
        page_dir = (site / rel).parent
        for url in [pic["img"]["src"], *(u.split()[0] for _, s in pic["sources"] for u in s.split(", "))]:
            assert (page_dir / url).resolve().is_file(), url
    variants = sorted(p.name for p in (site / "artwork").glob("*-*.*"))
    assert {v.rsplit(".", 1)[1] for v in variants} >= {"webp", "jpg"}
    with Image.open(next((site / "artwork").glob("*-360.webp"))) as webp:
        assert webp.format == "WEBP" and webp.size == (360, 360)
    with Image.open(next((site / "artwork").glob("*-180.jpg"))) as jpeg:
        assert jpeg.format == "JPEG" and jpeg.size == (180, 180)
    assert not pictures((site / PAGE_TYPES["map"]).read_text())  # a map page has no artwork to carry
    small_steps = pictures((site / "shows/small-steps/index.html").read_text())[0]
    assert small_steps["img"]["alt"] == "Deep green warming into gold, like the first light of a morning"
    kitchen = pictures((site / "shows/small-steps/the-kitchen-table-plan/index.html").read_text())[0]
    assert kitchen["img"]["src"] == "../../../" + small_steps["img"]["src"].removeprefix("../../")


def test_show_and_episode_artwork_win_with_their_own_words_and_a_rebuild_makes_none(station):
    folder = station.show(
        toml='title = "Night Talk"\ndescription = "Peers."\nartwork = "show.jpg"\n'
        'artwork_alt = "A lit window in a dark street"\n'
    )
    square(folder / "show.jpg", (20, 40, 90))
    station.episode("night-bus.mp3")
    station.episode("three.mp3", title="Awake at three", artwork="three.jpg", artwork_alt="A kettle at 3 a.m.")
    square(folder / "three.jpg", (120, 30, 60))
    first = station.build()
    assert first.errors == [] and first.warnings == []
    # station, show and episode artwork: three images, each in 3 widths, WebP and JPEG
    assert first.work["images"] == 3 * len(IMAGE_WIDTHS) * len(writable(IMAGE_FORMATS)) == 18
    site = station.root / "site"
    show_page = pictures((site / "shows/night-talk/index.html").read_text())
    assert show_page[0]["img"]["alt"] == "A lit window in a dark street"
    bus = pictures((site / "shows/night-talk/finding-the-night-bus-home/index.html").read_text())
    assert bus[0]["img"]["alt"] == "A lit window in a dark street"  # no artwork of its own: the show's
    three = pictures((site / "shows/night-talk/awake-at-three/index.html").read_text())
    assert three[0]["img"]["alt"] == "A kettle at 3 a.m."
    assert three[0]["img"]["src"] != bus[0]["img"]["src"]
    home = pictures((site / "index.html").read_text())
    assert home[0]["img"]["alt"] == "Test Station"
    again = station.build()
    assert again.work == {}  # no image made, no file written
    square(folder / "show.jpg", (90, 40, 20))  # a new show image: only it is made again
    third = station.build()
    assert third.work["images"] == first.work["images"] // 3


def test_an_unreadable_show_image_is_named_and_the_pages_go_on_without_it(station):
    folder = station.show(toml='title = "Night Talk"\ndescription = "Peers."\nartwork = "show.png"\n')
    (folder / "show.png").write_text("not an image at all")
    station.episode("night-bus.mp3")
    result = station.build()
    said = [str(p) for p in result.warnings if "show.png" in p.what and "website" in p.what]
    assert len(said) == 1
    assert said[0].startswith(
        "content/shows/night-talk/show.toml: the image `content/shows/night-talk/show.png` cannot be read ("
    )
    assert said[0].endswith(
        "), so the website shows none in its place — save it again as a JPEG or PNG, or fix the name that points at it"
    )
    page = (station.root / "site/shows/night-talk/index.html").read_text()
    assert pictures(page)[0]["img"]["alt"] == "Test Station"  # the station's artwork instead


def test_the_logo_and_colours_come_from_station_toml(station):
    logo = Image.new("RGBA", (300, 100), (0, 0, 0, 0))
    logo.paste((11, 90, 115, 255), (0, 0, 200, 100))
    logo.save(station.root / "content/logo.png")
    toml = station.root / "station.toml"
    toml.write_text(
        toml.read_text()
        + '\n[site]\nlogo = "content/logo.png"\naccent = "#6b2150"\npaper = "#FFFFFF"\nink = "#111111"\n'
    )
    station.episode("night-bus.mp3")
    result = station.build()
    assert result.errors == []
    site = station.root / "site"
    page = (site / EPISODE).read_text()
    brand = re.search(r'<a class="brand".*?</a>', page, flags=re.S)[0]
    logo_pic = pictures(brand)[0]
    assert logo_pic["img"]["alt"] == ""  # beside the name in text, it adds no words of its own
    assert logo_pic["img"]["height"] == "48" and logo_pic["img"]["width"] == "144"
    assert re.findall(r" (\d+)w", logo_pic["sources"][-1][1]) == ["144", "288"]
    with Image.open(site / logo_pic["img"]["src"].replace("../../../", "")) as jpeg:
        assert jpeg.getpixel((140, 24)) > (240, 240, 240)  # transparent corners on white, not black
    css = next(site.glob("static/site.*.css")).read_text()
    assert css.endswith(":root { --ink: #111111; --paper: #ffffff; --accent: #6b2150; --accent-ink: #ffffff; }\n")


def test_colours_that_fail_wcag_contrast_are_named_with_their_key(station):
    toml = station.root / "station.toml"
    toml.write_text(toml.read_text() + '\n[site]\naccent = "#f0b000"\naccent_ink = "#ffffff"\n')
    result = station.cli("build")
    assert result.returncode != 0 and "Traceback" not in result.stderr
    said = " ".join(result.stderr.split())
    assert (
        'station.toml: `site.accent` = "#f0b000" has a contrast of 1.87:1 with the page (`paper`), under the 4.5:1 '
        "that WCAG 2.2 AA asks for, so some people could not read the site"
    ) in said
    assert "choose a darker or lighter colour for `site.accent` (a contrast checker shows the ratio)" in said
    assert '`site.accent_ink` = "#ffffff" has a contrast of' in said  # white on that yellow fails too
    assert not (station.root / "site").exists()


def test_contrast_is_wcag_s_ratio():
    assert config_mod.contrast("#000000", "#ffffff") == 21
    assert round(config_mod.contrast("#767676", "#ffffff"), 2) == 4.54  # the lightest grey that passes on white
    defaults = config_mod.SiteSettings()
    assert config_mod.colour_problems(defaults) == []


def test_durations_under_a_minute_say_seconds():
    assert duration_words(0.4) == "1 second"
    assert duration_words(1) == "1 second"
    assert duration_words(45.2) == "45 seconds"
    assert duration_words(59.4) == "59 seconds"
    assert duration_words(59.6) == "1 minute"
    assert duration_words(150) == "2 minutes"
    assert duration_words(3725) == "1 h 02 min"


def test_the_transcript_note_and_the_speaker_are_two_sentences(demo):
    root, _ = demo
    page = (root / "site" / PAGE_TYPES["episode with content notes"]).read_text()
    assert "Made by machine; it may have mistakes. Speaking: Robin." in page


@pytest.mark.slow  # the everyday tier keeps test_withdraw.py::test_withdraw_removes_the_episode_from_every_output_and_the_bucket_for_good
def test_a_withdrawn_episode_s_own_artwork_leaves_the_site(station):
    import hashlib

    station.episode("night-bus.mp3")
    folder = station.root / "content/shows/night-talk"
    station.episode("three.mp3", title="Awake at three", artwork="three.jpg")
    art = square(folder / "three.jpg", (120, 30, 60))
    assert station.build().errors == []
    stem = hashlib.sha256(art.read_bytes()).hexdigest()[:16]
    site = station.root / "site"
    assert len(list((site / "artwork").glob(f"{stem}-*"))) == 6
    assert station.cli("withdraw", "night-talk/awake-at-three").returncode == 0
    assert list((site / "artwork").glob(f"{stem}-*")) == []
    assert list((site / "artwork").glob("*-180.webp"))  # the station's artwork stays for the other pages
