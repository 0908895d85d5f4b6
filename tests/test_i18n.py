"""Every string of the public site translatable, the Polish catalogue complete, and a Polish station read in Polish.

- The site's templates hold no English outside {% trans %} / _() (tests/i18n_literals.py, which the desk's
  tests use for its own templates).
- The shipped Polish catalogue has every string the site marks, extracted fresh from the sources here, each
  translated in all three of Polish's plural forms, none fuzzy, every placeholder kept.
- `station i18n extract | update | compile` say what they did in plain words and fail as they should.
- A station with `language = "pl"`: <html lang="pl">, dates in Polish, no English string of the catalogue left
  in its pages' chrome, the shows' own English marked with their lang; in Chromium, no page scrolls sideways at
  320, 390 or 1280 px (Polish words are long) and axe finds nothing.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from html import unescape
from pathlib import Path

import pytest

from station import catalogues
from station import config as config_mod
from station.build import runner as pipeline
from station.i18n import LOCALE_DIR, translations
from station.tools.locale import read_catalog
from station.web.site import BUILT_IN, duration_words
from tests.browser import (  # noqa: F401 -- fixtures: pytest finds them by name in this module
    axe_violations,
    chromium,
    format_violations,
    open_page,
    served,
)
from tests.conftest import DEMO_NOW
from tests.i18n_literals import untranslated_literals
from tests.test_maps_browser import DRAWN_TEXT, WIDTHS, path_of
from tests.test_site import PAGE_TYPES
from tests.test_site_browser import wait_until

REPO = Path(__file__).resolve().parent.parent
POLISH = LOCALE_DIR / "pl" / "LC_MESSAGES" / "messages.po"


def test_the_site_templates_hold_no_untranslated_words():
    assert untranslated_literals(BUILT_IN.resolve()) == []


def test_the_checker_finds_english_in_text_in_attributes_people_read_and_in_printed_literals(tmp_path):
    (tmp_path / "static").mkdir()
    (tmp_path / "static" / "ignored.html").write_text("<p>Not a template</p>")
    (tmp_path / "page.html").write_text(
        '{% extends "base.html" %}{% block main %}\n'
        "<h1>Hello there</h1>\n"
        '<img src="{{ url(\'a.png\') }}" alt="A picture">\n'
        '<a href="{{ url(\'feed.xml\') }}" title="{{ name }} feed" aria-label="{{ _(\'Read\') }}">{{ _("Fine") }}</a>\n'
        '<input placeholder="Type here"><input type="submit" value="Send"><button value="go">{{ _("Go") }}</button>\n'
        "<p>{{ n }} {{ 'link' if n == 1 else 'links' }} · {{ url('shows/') }}feed.xml</p>\n"
        "<p>{% trans count=n %}{{ count }} thing{% pluralize %}{{ count }} things{% endtrans %}</p>\n"
        '<script>var words = "not read here";</script><p class="{{ \'said\' if x }}">{{ 42 }} · 3:00</p>\n'
        '<meta name="description" content="About us">{% endblock %}\n'
    )
    assert untranslated_literals(tmp_path) == [
        "page.html (text): 'Hello there'",
        "page.html (<img alt>): 'A picture'",
        "page.html (<a title>): 'feed'",
        "page.html (<input placeholder>): 'Type here'",
        "page.html (<input value>): 'Send'",
        "page.html line 6 (text, printed from an expression): 'link'",
        "page.html line 6 (text, printed from an expression): 'links'",
        "page.html (<meta content>): 'About us'",
    ]


def _key(message) -> str:
    return message.id if isinstance(message.id, str) else message.id[0]


def test_the_polish_catalogue_translates_every_string_the_site_marks_in_all_three_plural_forms():
    fresh = catalogues.template("messages")
    polish = read_catalog(POLISH, "pl")
    assert polish.num_plurals == 3
    wanted = {_key(m): m for m in fresh if m.id}
    assert len(wanted) > 250  # the templates, the maps, durations, the data's words
    missing = [key for key in wanted if key not in polish]
    assert missing == [], f"not in {POLISH.name}: {missing} (run `station i18n update pl --shipped`)"
    fuzzy, untranslated, forms = [], [], []
    for key, message in wanted.items():
        found = polish[message.id]
        strings = found.string if isinstance(found.string, tuple) else (found.string,)
        if found.fuzzy:
            fuzzy.append(key)
        if not all(s.strip() for s in strings):
            untranslated.append(key)
        if message.pluralizable != found.pluralizable or (message.pluralizable and len(strings) != 3):
            forms.append(key)
    assert (fuzzy, untranslated, forms) == ([], [], [])
    mistakes = [(_key(m), [str(e) for e in errors]) for m, errors in polish.check()]
    assert mistakes == []  # every placeholder of the English kept


def test_polish_plurals_and_durations_come_from_the_catalogue():
    t = translations("pl")
    assert [duration_words(s, t) for s in (1, 3, 5, 22, 45)] == [
        "1 sekunda",
        "3 sekundy",
        "5 sekund",
        "22 sekundy",
        "45 sekund",
    ]
    assert [duration_words(m * 60, t) for m in (1, 2, 12, 24)] == ["1 minuta", "2 minuty", "12 minut", "24 minuty"]
    assert duration_words(3725, t) == "1 godz. 02 min"
    assert duration_words(3725) == "1 h 02 min"  # English, as written


def _station(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "station", "i18n", *args], cwd=cwd, capture_output=True, text=True, timeout=120
    )


@pytest.mark.slow  # the everyday tier keeps test_the_shipped_polish_catalogue_passes_compile_strict (the same command line)
def test_a_station_adds_its_own_language_from_the_command_line(tmp_path):
    made = _station("extract", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    site_strings = len(catalogues.template("messages"))
    assert made.stdout.splitlines()[0] == f"locale/messages.pot: {site_strings} strings of the site."
    assert (tmp_path / "locale" / "messages.pot").read_text(encoding="utf-8").count("msgid") > site_strings

    started = _station("update", "cy", cwd=tmp_path)
    po = tmp_path / "locale" / "cy" / "LC_MESSAGES" / "messages.po"
    assert started.returncode == 0 and started.stdout.splitlines()[0] == (
        f"locale/cy/LC_MESSAGES/messages.po: cy, the site (messages): {site_strings} strings, "
        f"{site_strings} not translated yet."
    )
    # One string translated; the rest stay English until they are. --strict fails on the rest.
    text = po.read_text(encoding="utf-8")
    po.write_text(
        text.replace('msgid "Skip to content"\nmsgstr ""', 'msgid "Skip to content"\nmsgstr "Neidio i\'r cynnwys"')
    )
    checked = _station("compile", "--strict", cwd=tmp_path)
    assert checked.returncode == 1
    assert checked.stdout.splitlines()[0] == (
        f"cy, the site (messages): {site_strings} strings, {site_strings - 1} not translated yet."
    )
    assert checked.stderr.strip() == (
        "Some strings are not translated yet (--strict): they show in English until they are."
    )
    assert (po.with_suffix(".mo")).is_file()
    assert translations("cy", own=(tmp_path / "locale",)).gettext("Skip to content") == "Neidio i'r cynnwys"
    # An update keeps what was translated.
    assert _station("update", "cy", cwd=tmp_path).returncode == 0
    assert 'msgstr "Neidio i\'r cynnwys"' in po.read_text(encoding="utf-8")

    wrong = _station("update", "not-a-language", cwd=tmp_path)
    assert wrong.returncode == 2 and "Traceback" not in wrong.stderr
    assert wrong.stderr.strip() == (
        "Nothing was updated: 'not-a-language' is not a language Babel knows — use a code like `pl`, `cy` or "
        "`pt-BR` (the same as [station] language in station.toml)"
    )
    empty = _station("compile", cwd=tmp_path / "locale")
    assert empty.returncode == 1 and empty.stderr.startswith("There are no catalogues in locale yet")


def test_the_shipped_polish_catalogue_passes_compile_strict(tmp_path):
    copy = tmp_path / "data"
    shutil.copytree(LOCALE_DIR, copy)
    counts = catalogues.compile_all(copy, "pl")
    assert [c.words() for c in counts if c.domain == "messages"] == [
        f"pl, the site (messages): {len(catalogues.template('messages'))} strings, all translated."
    ]


# ---------------------------------------------------------------- a Polish station, built


@pytest.fixture(scope="module")
def polish(demo, tmp_path_factory):
    """The demo station, built, then told its language is Polish and built again (pages only: the shows say
    their own language, English, so no audio or model work is done again)."""
    root, _ = demo
    copy = tmp_path_factory.mktemp("polish") / "station"
    shutil.copytree(root, copy, symlinks=True)
    toml = copy / "station.toml"
    toml.write_text(re.sub(r'(?m)^language = ".*"$', 'language = "pl"', toml.read_text(encoding="utf-8")))
    for show in (copy / "content" / "shows").glob("*/show.toml"):
        text = show.read_text(encoding="utf-8")
        if "language =" not in text:
            show.write_text(text + 'language = "en-GB"\n', encoding="utf-8")
    result = pipeline.build(config_mod.load(copy), now=DEMO_NOW)
    assert not [p for p in result.problems if p.is_error], result.problems
    return copy


def _visible(html: str) -> str:
    """A page's text and the attributes people read, without scripts, styles or the scripts' own words."""
    html = re.sub(r"(?s)<(script|style)\b.*?</\1>", " ", html)
    said = " ".join(re.findall(r'\b(?:alt|title|aria-label|placeholder|label|content)="([^"]*)"', html))
    return unescape(re.sub(r"<[^>]+>", " ", html) + " " + said)


def _english_pieces() -> dict[str, str]:
    """Each catalogue string the Polish changes, cut at its placeholders and tags into pieces of two words or more:
    a piece of the English that shows on a Polish page is English left in the chrome."""
    polish = read_catalog(POLISH, "pl")
    pieces = {}
    for message in polish:
        if not message.id:
            continue
        english = message.id if isinstance(message.id, tuple) else (message.id,)
        translated = message.string if isinstance(message.string, tuple) else (message.string,)
        for text in english:
            for piece in re.split(r"%\(\w+\)s|\{\w+\}|<[^>]+>", text):
                piece = piece.strip(" .,:;()")
                if len(piece.split()) >= 2 and not any(piece in t for t in translated):
                    pieces[piece] = text
    return pieces


def _content_words(root: Path) -> str:
    """Everything the station itself wrote (its content, settings and the map's data): English by right."""
    found = [p.read_text(encoding="utf-8", errors="ignore") for p in (root / "content").rglob("*") if p.is_file()]
    found += [(root / "station.toml").read_text(encoding="utf-8")]
    found += [p.read_text(encoding="utf-8") for p in (REPO / "station" / "data").glob("*.yaml")]
    found += [p.read_text(encoding="utf-8") for p in (root / "site" / "media").rglob("*.txt")]  # transcripts
    return " ".join(" ".join(found).split())


@pytest.mark.slow
def test_a_polish_station_s_pages_are_polish_with_the_shows_own_words_marked_english(polish):
    site = polish / "site"
    pieces = _english_pieces()
    theirs = _content_words(polish)
    assert len(pieces) > 150
    for name, rel in PAGE_TYPES.items():
        html = (site / rel).read_text(encoding="utf-8")
        assert '<html lang="pl">' in html, name
        text = " ".join(_visible(html).split())
        left = sorted({piece for piece in pieces if piece in text and piece not in theirs})
        assert left == [], f"English left on the {name} page: {left}"
    episode = (site / PAGE_TYPES["episode with content notes"]).read_text(encoding="utf-8")
    assert re.search(r'<time datetime="2026-11-17">17 listopada 2026</time>\s+· 27 sekund · z udziałem: Robin', episode)
    assert '<h1 lang="en-GB">Awake at three</h1>' in episode  # the show's language, not the page's
    assert '<ol class="cues" id="cues" lang="en">' in episode  # the transcript's own
    assert "Ten odcinek porusza tematy: przedawkowanie; żałoba i strata." in episode
    place = (site / PAGE_TYPES["place"]).read_text(encoding="utf-8")
    assert "Ostatnio sprawdzone <time" in place and "listopada 2026" in place
    home = (site / "index.html").read_text(encoding="utf-8")
    assert "Mapa Sieci Zdrowienia: 8 miejsc, grup i telefonów" in home


@pytest.mark.browser
@pytest.mark.parametrize("name", list(PAGE_TYPES))
def test_polish_pages_fit_a_phone_and_pass_axe(chromium, polish, name):
    """Polish words are long ("Prowadzone przez osoby z doświadczeniem:"): nothing may push a page sideways."""
    with served(polish / "site") as base, open_page(chromium) as page:
        url = base + ("no-such-page/" if name == "not found" else path_of(PAGE_TYPES[name]))
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            page.goto(url)
            if page.locator("details.gate").count():
                page.locator("details.gate summary").click()
            assert page.evaluate("document.documentElement.lang") == "pl"
            assert page.evaluate("document.documentElement.scrollWidth") <= width, f"{name} scrolls sideways at {width}"
            small = [t for t in page.evaluate(DRAWN_TEXT) if t[1] < 12]
            assert small == [], f"{name} at {width} px has text under 12 px: {small[:5]}"
            violations = axe_violations(page)
            assert violations == [], f"at {width} px: " + format_violations(violations)


@pytest.mark.browser
def test_the_scripts_speak_polish(chromium, polish):
    with served(polish / "site") as base, open_page(chromium) as page:
        page.goto(base + "map/")
        assert page.locator("#filter-status").inner_text() == "Pokazano 8 z 8 miejsc."
        page.goto(base + "map/?kind=housing")
        assert page.locator("#filter-status").inner_text() == (
            "Pokazano 0 z 8 miejsc. Niczego takiego jeszcze tu nie ma: to jedna z luk na mapie."
        )
        page.goto(base + "search/?q=night")
        wait_until(page, "document.getElementById('search-status').textContent !== ''")
        count = page.locator("#results > li").count()
        assert page.locator("#search-status").inner_text() == f"Wyniki dla „night”: {count}."
