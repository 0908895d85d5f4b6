"""The translators' side of the catalogues: what `station i18n extract | update | compile` does.

Two domains (station.i18n): `messages`, what listeners read (the site's templates and the Python that writes
site text, station/web/), and `desk`, what coordinators and presenters read (station/desk/: its templates and
its Python). `extract` gathers every marked string of each into a template (`<domain>.pot`); `update` starts
or brings up to date a language's `.po` files from those templates, keeping every translation already made
(a changed string comes back "fuzzy", to be checked); `compile` says, per language and domain, how many strings
are not translated yet or are marked fuzzy, and writes the `.mo` files tools other than the station want (the
station itself reads the `.po` files).

A station's own catalogues live in `<station root>/locale/<language>/LC_MESSAGES/<domain>.po` and win over the
shipped ones (`station/data/locale/`), which `--shipped` works on instead, for Peerwave's own developers.
Babel does the work, through station/tools/locale.py.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from station import __version__
from station.errors import CatalogueError
from station.files import write_bytes
from station.i18n import DOMAINS, LOCALE_DIR, own_locale_dirs
from station.tools import locale as babel

PACKAGE = Path(__file__).parent
# Where each domain's strings are: (folder, file pattern, how to read it).
SOURCES: dict[str, list[tuple[Path, str, str]]] = {
    "messages": [
        ((PACKAGE / "web" / "site_templates").resolve(), "**/*.html", "jinja2"),
        (PACKAGE / "web", "*.py", "python"),
    ],
    "desk": [
        (PACKAGE / "desk" / "templates", "**/*.html", "jinja2"),
        (PACKAGE / "desk", "*.py", "python"),
    ],
}
DOMAIN_WORDS = {"messages": "the site", "desk": "the desk"}


@dataclass(frozen=True)
class Count:
    """How complete one catalogue is."""

    language: str
    domain: str
    path: Path
    total: int
    untranslated: int
    fuzzy: int
    mistakes: list[str]  # placeholders a translation lost or added, in plain words

    @property
    def complete(self) -> bool:
        return not (self.untranslated or self.fuzzy or self.mistakes)

    def words(self) -> str:
        """ "pl, the site (messages): 212 strings, all translated." and the like."""
        head = f"{self.language}, {DOMAIN_WORDS.get(self.domain, self.domain)} ({self.domain}): {self.total} strings"
        if self.complete:
            return f"{head}, all translated."
        said = []
        if self.untranslated:
            said.append(f"{self.untranslated} not translated yet")
        if self.fuzzy:
            said.append(f"{self.fuzzy} marked fuzzy (changed since they were translated: check them)")
        if self.mistakes:
            said.append(f"{len(self.mistakes)} with a placeholder that does not match the English")
        return f"{head}, " + ", ".join(said) + "."


def template(domain: str) -> babel.Catalog:
    """Every string marked for translation in the domain's sources, as a fresh catalogue template."""
    if domain not in SOURCES:
        raise CatalogueError(f"there is no domain {domain!r}: the domains are {', '.join(DOMAINS)}")
    catalog = babel.new_catalog(None, domain, "Peerwave")
    catalog.version = __version__
    for folder, pattern, method in SOURCES[domain]:
        for path in sorted(folder.glob(pattern)):
            if not path.is_file():
                continue
            where = path.relative_to(folder.parent if method == "python" else folder).as_posix()
            for line, message, comments in babel.extract_file(path, method):
                msgid = message if isinstance(message, str) else message[:2]
                if isinstance(msgid, tuple) and not msgid[1]:
                    msgid = msgid[0]
                catalog.add(msgid, None, [(where, line)], auto_comments=comments)
    return catalog


def extract(out_dir: Path) -> dict[str, Path]:
    """Write each domain's template, `<out_dir>/<domain>.pot`; returns them by domain."""
    written = {}
    for domain in DOMAINS:
        path = out_dir / f"{domain}.pot"
        write_bytes(path, babel.write_catalog(path, template(domain)))
        written[domain] = path
    return written


def check_language(language: str) -> str:
    """`language` as a catalogue's folder is named ("pl", "pt_BR"), or CatalogueError in plain words."""
    if babel.locale_or_none(language) is None:
        raise CatalogueError(
            f"{language!r} is not a language Babel knows — use a code like `pl`, `cy` or `pt-BR` "
            "(the same as [station] language in station.toml)"
        )
    return language.replace("-", "_")


def po_path(folder: Path, language: str, domain: str) -> Path:
    return folder / check_language(language) / "LC_MESSAGES" / f"{domain}.po"


def locale_folder(root: Path, shipped: bool) -> Path:
    return LOCALE_DIR if shipped else own_locale_dirs(root)[0]


def update(language: str, folder: Path, domains: Iterable[str] = DOMAINS) -> list[Count]:
    """Start or bring up to date `language`'s catalogues in `folder` from the sources as they are now."""
    counts = []
    for domain in domains:
        path = po_path(folder, language, domain)
        fresh = template(domain)
        if not path.is_file() and not len(fresh):
            continue  # nothing of this domain is marked for translation yet: no empty catalogue
        if path.is_file():
            catalog = _read(path, language)
            catalog.update(fresh, update_header_comment=False)
        else:
            catalog = babel.new_catalog(language, domain, "Peerwave")
            catalog.update(fresh)
        catalog.version = __version__
        write_bytes(path, babel.write_catalog(path, catalog))
        counts.append(count(path, language))
    return counts


def count(path: Path, language: str) -> Count:
    catalog = _read(path, language)
    total = untranslated = fuzzy = 0
    for message in catalog:
        if not message.id:
            continue  # the header
        total += 1
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy:
            fuzzy += 1
        elif not all(strings) or (message.pluralizable and len(strings) < catalog.num_plurals):
            untranslated += 1
    mistakes = [
        f"{message.id if isinstance(message.id, str) else message.id[0]!r}: {error}"
        for message, errors in catalog.check()
        for error in errors
        if message.string and not message.fuzzy
    ]
    return Count(language, path.stem, path, total, untranslated, fuzzy, mistakes)


def languages(folder: Path) -> list[str]:
    """The languages with a catalogue in `folder`."""
    if not folder.is_dir():
        return []
    return sorted(p.name for p in folder.iterdir() if (p / "LC_MESSAGES").is_dir())


def compile_all(folder: Path, only: str | None = None) -> list[Count]:
    """Check every catalogue in `folder` (or one language's) and write a `.mo` beside each `.po`."""
    wanted = [check_language(only)] if only else languages(folder)
    counts = []
    for language in wanted:
        for domain in DOMAINS:
            path = po_path(folder, language, domain)
            if not path.is_file():
                continue
            found = count(path, language)
            write_bytes(path.with_suffix(".mo"), babel.write_mo_file(_read(path, language)))
            counts.append(found)
    return counts


def _read(path: Path, language: str) -> babel.Catalog:
    try:
        return babel.read_catalog(path, language)
    except (OSError, ValueError, SyntaxError) as exc:
        raise CatalogueError(
            f"{path}: this catalogue cannot be read ({exc}) — fix the file, or remove it and run "
            "`station i18n update` to start it again"
        ) from exc
