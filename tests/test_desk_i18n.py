"""The desk in Polish: every string marked, the catalogue complete against a fresh extract, and a desk
served for real that speaks Polish on every page, in its messages, plurals and dates, with no English left."""

from __future__ import annotations

import html
import html.parser
import io
import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from playwright.sync_api import expect

from station import config as config_mod
from station.catalog import recovery_map
from station.catalog.model import CONTENT_NOTES
from station.catalog.resources import CHECKS
from station.desk import i18n
from station.desk.accounts import ROLES
from station.desk.app import create_app
from station.errors import ConfigError
from station.i18n import LOCALE_DIR
from station.involvement import (
    ANSWERS,
    CHANNELS,
    FEEDBACK_STATES,
    RECOGNITION_KINDS,
    RECOGNITION_STATES,
    SKILLS,
    SOURCES,
)
from tests.browser import axe_violations, chromium, format_violations, open_page, page_log  # noqa: F401
from tests.desk import PASSWORDS, Served, csrf_of, desk_station, fresh_station
from tests.i18n_literals import untranslated_literals

REPO = Path(__file__).resolve().parent.parent
TEMPLATES = REPO / "station" / "desk" / "templates"
PL = LOCALE_DIR / "pl" / "LC_MESSAGES" / "desk.po"
PLACEHOLDER = re.compile(r"%\(\w+\)s|%%")


def extract() -> Catalog:
    """The desk's strings as `pybabel extract -F` finds them with the desk's own mapping."""
    method_map, options_map = parse_mapping_cfg(io.StringIO(i18n.DESK_SOURCES))
    catalog = Catalog(domain="desk")
    # Babel's own keywords: _, gettext, ngettext, N_ … (and Jinja2's {% trans %} blocks, as gettext).
    for filename, lineno, message, comments, context in extract_from_dir(str(REPO), method_map, options_map):
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return catalog


def polish() -> Catalog:
    with PL.open("rb") as f:
        return read_po(f, locale="pl")


# ---------------------------------------------------------------- marked, and complete


def test_a_desk_template_with_an_untranslated_literal_is_found(tmp_path):
    (tmp_path / "page.html").write_text(
        '{% extends "base.html" %}\n'
        "{% block main %}\n"
        '<h2>{{ _("Marked words") }}</h2>\n'
        "<p>{% trans %}Marked <code>too</code>{% endtrans %}</p>\n"
        "<p>Hello there</p>\n"
        '<a href="{{ url_for(\'static\', filename=\'desk.css\') }}" title="Press me">{{ "Go home" if me }}</a>\n'
        "{% endblock %}\n"
    )
    assert untranslated_literals(tmp_path) == [
        "page.html (text): 'Hello there'",
        "page.html (<a title>): 'Press me'",
        "page.html line 6 (text, printed from an expression): 'Go home'",
    ]
    assert untranslated_literals(TEMPLATES) == []


def test_the_polish_desk_catalogue_is_complete_against_a_fresh_extract():
    fresh = extract()
    pl = polish()
    wanted = {m.id for m in fresh if m.id}
    have = {m.id for m in pl if m.id}
    assert len(wanted) > 500  # every page, message and label of the desk
    assert sorted(map(str, wanted - have)) == []  # not translated yet
    assert sorted(map(str, have - wanted)) == []  # no longer in the desk
    assert pl.num_plurals == 3  # one, few, many: 1 minuta, 2 minuty, 5 minut
    for m in pl:
        if not m.id:
            continue
        assert not m.fuzzy, m.id
        forms = list(m.string) if isinstance(m.string, tuple) else [m.string]
        assert len(forms) == (3 if isinstance(m.id, tuple) else 1) and all(forms), m.id
        english = m.id[1] if isinstance(m.id, tuple) else m.id
        for form in forms:
            assert sorted(PLACEHOLDER.findall(form)) == sorted(PLACEHOLDER.findall(english)), (m.id, form)
            assert sorted(re.findall(r"</?\w+", form)) == sorted(re.findall(r"</?\w+", english)), (m.id, form)


def test_the_words_the_desk_shows_from_elsewhere_are_all_marked():
    """i18n.SHARED marks labels defined outside the desk; a label added there must be added here."""
    defined = {
        *CONTENT_NOTES.values(),
        *CHANNELS.values(),
        *SOURCES.values(),
        *ANSWERS.values(),
        *FEEDBACK_STATES.values(),
        *SKILLS,
        *RECOGNITION_KINDS.values(),
        *RECOGNITION_STATES.values(),
        *CHECKS.values(),
        *ROLES,
    }
    assert set(i18n.SHARED) == defined


# ---------------------------------------------------------------- which language


def test_the_desk_language_is_checked_in_plain_words(tmp_path):
    for value, said in (
        ("Polish", "station.toml: `desk.language`: 'Polish' is not a language code — use a code like `en-GB` or `cy`"),
        ("xq", "station.toml: `desk.language`: 'xq' is not a language we know — use a code like `pl` or `en-GB`"),
        (
            "de",
            "station.toml: the desk has no translation into `de` (desk.language) yet — use one it has (en, pl), "
            "or add locale/de/LC_MESSAGES/desk.po (README: Translating the desk)",
        ),
    ):
        root = fresh_station(tmp_path / value, f'[desk]\nlanguage = "{value}"\n')
        with pytest.raises(ConfigError) as exc:
            config_mod.load(root)
        assert [str(p) for p in exc.value.problems] == [said]
    # A station's own catalogue is one the desk has.
    root = fresh_station(tmp_path / "own", '[desk]\nlanguage = "de"\n')
    own = root / "locale" / "de" / "LC_MESSAGES"
    own.mkdir(parents=True)
    (own / "desk.po").write_text('msgid ""\nmsgstr ""\n"Language: de\\n"\n\nmsgid "Sign in"\nmsgstr "Anmelden"\n')
    app = create_app(config_mod.load(root), build=False)
    page = app.test_client().get("/sign-in")
    assert '<html lang="de">' in page.text and "<h1>Anmelden</h1>" in page.text


def test_polish_plurals_dates_and_numbers(tmp_path):
    root = fresh_station(tmp_path, '[desk]\nlanguage = "pl"\n')
    app = create_app(config_mod.load(root), build=False)
    with app.test_request_context("/"):
        assert [i18n.ngettext("%(num)s minute", "%(num)s minutes", n) for n in (1, 2, 4, 5, 12, 22, 25, 101)] == [
            "1 minuta",
            "2 minuty",
            "4 minuty",
            "5 minut",
            "12 minut",
            "22 minuty",
            "25 minut",
            "101 minut",
        ]
        from datetime import date

        assert i18n.night_text(date(2026, 12, 31)) == "czwartek 31 grudnia 2026"
        assert i18n.day_text(date(2026, 5, 1)) == "1 maja 2026"
        assert i18n.number(12000) == "12\xa0000"
        assert i18n.language_tag() == "pl"


# ---------------------------------------------------------------- a desk in Polish, served for real


class _Text(html.parser.HTMLParser):
    """What a page shows: its text nodes, and the attributes people read or hear (title, labels, values of
    buttons are text nodes already)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.nodes: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "textarea"):
            self.hidden += 1
        for name, value in attrs:
            if name in ("title", "aria-label", "label", "alt", "placeholder") and value:
                self.nodes.append(" ".join(value.split()))

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "textarea") and self.hidden:
            self.hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self.hidden and data.strip():
            self.nodes.append(" ".join(data.split()))


def shown(page: str) -> list[str]:
    parser = _Text()
    parser.feed(page)
    return parser.nodes


def english_left(page: str, catalogue: Catalog) -> list[str]:
    """Every English string of the catalogue the page shows: a text node that is a whole msgid, or a part of
    a msgid (between its placeholders and tags) of two words or more, where its msgstr says otherwise.

    The station's own words are data, not the desk's, and stay as written: the systems map's node names
    (one is "Recovery capital", like the map's part of that name, which the desk does translate)."""
    data = {n.name for n in recovery_map.nodes().values()}
    nodes = [n for n in shown(page) if n not in data]
    text = " ".join(nodes)
    found = set()
    for m in catalogue:
        if not m.id:
            continue
        ids = m.id if isinstance(m.id, tuple) else (m.id,)
        strings = m.string if isinstance(m.string, tuple) else (m.string,)
        for english in ids:
            plain = html.unescape(english.replace("%%", "%"))
            if plain in strings:
                continue  # the same in both languages (a code, a name)
            if plain in nodes:
                found.add(plain)
            for part in re.split(r"%\(\w+\)s|<[^>]+>", plain):
                part = part.strip(" .,:;()—")
                words = re.findall(r"[A-Za-z]{2,}", part)
                if len(words) >= 2 and part in text and not any(part in s for s in strings):
                    found.add(part)
    return sorted(found)


# Every page of the desk a coordinator reaches, and what each says first in Polish.
PAGES = {
    "/": "Wszystkie odcinki",
    "/upload": "Prześlij nagranie",
    "/pause": "Przerwa w nocnej emisji",
    "/tonight": "Plan emisji na dziś w nocy",
    "/problems": "Problemy w całej stacji",
    "/accounts": "Konta w panelu",
    "/schedule/edit?file=scheduler/night-owls.yaml": "Edycja ramówki: ",
    "/feedback/queue": "Opinie słuchaczy",
    "/asks": "Prośby i odpowiedzi",
    "/asks/new": "Zgłoś prośbę",
    "/people": "Rejestry osób współtworzących",
    "/record": "Twój rejestr",
    "/nothing-here": "Nie znaleziono",
}


@pytest.mark.slow  # the everyday tier keeps test_a_built_station_in_polish_episodes_tonight_problems_and_records
def test_a_desk_in_polish_speaks_polish_on_every_page_with_no_english_left(tmp_path):
    root = fresh_station(tmp_path, '[desk]\nlanguage = "pl"\n')
    pl = polish()
    with Served(root) as served:
        anyone = served.client()
        sign_in = anyone.get("/sign-in").text
        assert '<html lang="pl">' in sign_in and "<title>Zaloguj się — panel stacji Night Owls Radio</title>" in sign_in
        assert english_left(sign_in, pl) == []
        wrong = anyone.post("/sign-in", {"csrf": anyone.token("/sign-in"), "username": "coord", "password": "nope"})
        assert wrong.status_code == 401
        assert "Ta nazwa użytkownika i hasło do siebie nie pasują. Sprawdź je i spróbuj jeszcze raz." in wrong.text

        coord = served.client("coord")
        pages = dict(PAGES)
        episodes = coord.get("/").text
        first = re.search(r'href="(/episodes/[0-9a-f]+)"', episodes).group(1)
        pages[first] = "<dt>Stan</dt>"
        pages[first + "/details"] = "Szczegóły: "
        for path, polish_words in pages.items():
            r = coord.get(path)
            assert r.status_code in (200, 404), (path, r.status_code)
            assert '<html lang="pl">' in r.text, path
            assert polish_words in r.text, path
            assert english_left(r.text, pl) == [], path
        nav = shown(coord.get("/").text)
        for words in ("Prześlij", "Zrób przerwę", "Ramówka", "Dziś w nocy", "Opinie", "Prośby", "Konta", "Wyloguj się"):
            assert words in nav

        # Messages after an action, in Polish: a pause until a date (the night in words), a refused upload,
        # a message typed into the queue, a plural in the nav.
        token = coord.token("/pause")
        paused = coord.post("/pause", {"csrf": token, "presenter": "Ali", "until": "2026-12-31", "action": "pause"})
        assert "Ali: przerwa w nocnej emisji; ostatnia noc przerwy to czwartek 31 grudnia 2026." in paused.text
        assert "<strong>Ali: przerwa; ostatnia noc przerwy to czwartek 31 grudnia 2026.</strong>" in paused.text
        refused = coord.post(coord.action("/upload"), {"csrf": coord.token("/upload"), "title": "x"})
        assert refused.status_code == 400
        assert '<a href="#recording">Wybierz nagranie do przesłania.</a>' in refused.text
        assert "Jeszcze nic nie zostało zapisane: najpierw popraw to" in refused.text
        assert english_left(refused.text, pl) == []
        for n in range(3):
            added = coord.post(
                "/feedback/queue",
                {"csrf": coord.token("/feedback/queue"), "action": "add", "channel": "phone", "message": f"Hej {n}"},
            )
            assert added.status_code == 303
        queue = coord.get(added.headers["Location"]).text
        assert "Wiadomość została dodana do kolejki." in queue
        assert "Opinie (3 nowe)" in queue and english_left(queue, pl) == []

        # The feedback door answers listeners in the website's language ([station] language), not the desk's.
        thanked = anyone.post("/feedback", {"message": "Thank you for the night show"})
        assert '<html lang="en">' in thanked.text and "<h1>Thank you</h1>" in thanked.text


def test_a_station_in_polish_has_a_polish_desk_and_feedback_door(tmp_path):
    root = fresh_station(tmp_path)
    toml = root / "station.toml"
    toml.write_text(toml.read_text().replace('language = "en-GB"', 'language = "pl"'))
    app = create_app(config_mod.load(root), build=False)
    client = app.test_client()
    assert '<html lang="pl">' in client.get("/sign-in").text
    thanked = client.post("/feedback", data={"message": "Dzięki za noc"})
    assert thanked.status_code == 200 and '<html lang="pl">' in thanked.text
    assert "<h1>Dziękujemy</h1>" in thanked.text and "Wróć do: Night Owls Radio" in thanked.text


def test_an_english_desk_is_as_written(tmp_path):
    """No catalogue for en-GB: the desk speaks the English it is written in, and says lang="en"."""
    app = create_app(config_mod.load(fresh_station(tmp_path)), build=False)
    page = app.test_client().get("/sign-in").text
    assert '<html lang="en">' in page and "<title>Sign in — Night Owls Radio desk</title>" in page


def test_a_built_station_in_polish_episodes_tonight_problems_and_records(demo, tmp_path):
    """Pages that need a build (an episode with its transcript, tonight's running order, the record with
    airtime and its statements) in Polish, with the station's own words (titles, the build's problems) as
    written."""
    root = desk_station(demo, tmp_path)
    (root / "station.toml").write_text((root / "station.toml").read_text() + '\n[desk]\nlanguage = "pl"\n')
    pl = polish()
    with Served(root) as served:
        robin = served.client("robin")
        episodes = robin.get("/").text
        assert "<h1>Twoje odcinki</h1>" in episodes and english_left(episodes, pl) == []
        first = re.search(r'href="(/episodes/[0-9a-f]+)"', episodes).group(1)
        episode = robin.get(first).text
        assert '<span class="state state-published" id="state">Opublikowany</span>' in episode
        assert '<h2 id="transcript-h">Transkrypcja</h2>' in episode and english_left(episode, pl) == []
        record = robin.get("/record").text
        assert "<h1>Twój rejestr</h1>" in record and english_left(record, pl) == []
        statement = robin.get("/record/statement.txt").text
        assert statement.startswith("Night Owls Radio: rejestr — Robin\nStan na ")
        assert "Prywatne: tylko dla ciebie i osób koordynujących stację." in statement
        assert "Nagrane odcinki (2)" in statement and "Czas na antenie w nocnej emisji" in statement
        assert robin.get("/record/statement.pdf").content.startswith(b"%PDF")

        coord = served.client("coord")
        for path, words in (
            ("/tonight", "Plan emisji"),
            ("/problems", "<h1>Problemy w całej stacji</h1>"),
            ("/feedback/queue", "<h1>Opinie słuchaczy</h1>"),
        ):
            page = coord.get(path).text
            assert words in page and english_left(page, pl) == [], path


@pytest.mark.slow
def test_asks_and_answers_in_polish(tmp_path):
    """Slow tier: the asks pages are also in the everyday test of every page; this follows a whole ask."""
    root = fresh_station(tmp_path, '[desk]\nlanguage = "pl"\n')
    pl = polish()
    with Served(root) as served:
        coord = served.client("coord")
        made = coord.post(
            "/accounts",
            {
                "csrf": coord.token("/accounts"),
                "action": "add",
                "username": "cafe",
                "role": "responder",
                "presenter_name": "",
                "password": "responder pass 1",
            },
        )
        assert "Utworzono konto cafe. Przekaż hasło osobiście albo telefonicznie." in made.text
        assert "<td>osoba odpowiadająca</td>" in made.text and english_left(made.text, pl) == []
        uid = re.search(
            r'name="user" value="(\d+)">\s*<p><label for="org-\d+">cafe odpowiada w imieniu', coord.get("/asks").text
        )
        bound = coord.post(
            "/asks/responders",
            {"csrf": coord.token("/asks"), "user": uid.group(1), "organisation": "harbour-recovery-cafe"},
        )
        asks = coord.get(bound.headers["Location"]).text
        assert "cafe odpowiada w imieniu: Harbour Recovery Café." in asks
        refused = coord.post("/asks/new", {"csrf": coord.token("/asks/new"), "organisation": "nowhere"})
        assert refused.status_code == 400
        for said in (
            "Wybierz z miejsc na mapie organizację, do której kierujesz prośbę.",
            "O co prosimy: najpierw napisz to prostymi słowami.",
            "Termin decyzji: wpisz go tak: 2027-01-31.",
        ):
            assert said in refused.text
        assert english_left(refused.text, pl) == []
        raised = coord.post(
            "/asks/new",
            {
                "csrf": coord.token("/asks/new"),
                "organisation": "harbour-recovery-cafe",
                "text": "Otwórzcie kawiarnię w niedzielę wieczorem.",
                "scope": "Tylko wieczory.",
                "decide_by": "2020-01-31",
                "source": "feedback",
            },
        )
        asks = coord.get(raised.headers["Location"]).text
        assert "Zgłoszono prośbę do: Harbour Recovery Café." in asks
        assert re.search(r"Jeszcze bez odpowiedzi, \d+ dni po terminie", asks) and english_left(asks, pl) == []

        cafe = served.client()
        cafe.sign_in("cafe", "responder pass 1")
        answers = cafe.get("/answers").text
        assert '<html lang="pl">' in answers and "<h1>Prośby do twojej organizacji</h1>" in answers
        assert english_left(answers, pl) == []
        ask_id = re.search(r'action="/answers/(\d+)"', answers).group(1)
        missing = cafe.post(f"/answers/{ask_id}", {"csrf": csrf_of(answers), "state": "wont", "words": ""})
        assert (
            "Napisz, dlaczego twoja organizacja tego nie zrobi: powód zostanie opublikowany razem z odpowiedzią."
            in missing.text
        )
        sent = cafe.post(f"/answers/{ask_id}", {"csrf": csrf_of(answers), "state": "will", "words": ""})
        done = cafe.get(sent.headers["Location"]).text
        assert f"Twoja odpowiedź na prośbę {ask_id} została wysłana i zostanie opublikowana." in done
        assert "<strong>Zrobimy</strong>" in done and english_left(done, pl) == []
        assert "Prośby (1 nowa odpowiedź)" in coord.get("/asks").text


@pytest.mark.browser
def test_a_polish_desk_in_chromium_passes_axe(tmp_path, chromium):
    root = fresh_station(tmp_path, '[desk]\nlanguage = "pl"\n')
    with Served(root) as served, open_page(chromium) as page:
        base = served.base
        page.goto(base + "/")
        assert "/sign-in" in page.url
        page.get_by_label("Nazwa użytkownika").fill("sam")
        page.get_by_label("Hasło").fill(PASSWORDS["sam"])
        page.get_by_role("button", name="Zaloguj się").click()
        page.wait_for_url(base + "/")
        for path in ("/", "/upload", "/pause", "/record"):
            page.goto(base + path)
            assert page.evaluate("document.documentElement.lang") == "pl"
            violations = axe_violations(page)
            assert not violations, f"{page.url}\n{format_violations(violations)}"
        page.goto(base + "/pause")
        page.get_by_role("button", name="Zrób przerwę").click()
        expect(page.locator("#pause-state")).to_have_text("Sam: przerwa do odwołania.")
        expect(page.get_by_role("status")).to_have_text("Sam: przerwa w nocnej emisji do odwołania.")
        assert not axe_violations(page)
        assert not [u for u in page_log(page).requests if not u.startswith(base)]
