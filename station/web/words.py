"""The words the site shows for values held as codes or as English in the station's data, marked for translation.

Content notes, kinds of support, answers to asks and the like are stored as codes (or, in the records, as the
desk's English label); the site shows each in the station's language. `N_` only marks a string for
`station i18n extract`; the site translates it where it shows it (`Words`).
"""

from __future__ import annotations

from typing import Protocol

from station.tools.locale import NullTranslations


def N_(message: str) -> str:
    """Mark `message` for extraction into the catalogue, leaving it as it is: it is translated where shown."""
    return message


class Gettext(Protocol):
    """What the site's Python needs of a catalogue (station.i18n.translations gives one)."""

    def gettext(self, message: str) -> str: ...

    def ngettext(self, singular: str, plural: str, n: int) -> str: ...


ENGLISH: Gettext = NullTranslations()  # the strings as written

# catalog/model.py CONTENT_NOTES, by code
CONTENT_NOTES = {
    "drug-use": N_("detailed descriptions of drug or alcohol use"),
    "overdose": N_("overdose"),
    "self-harm": N_("self-harm"),
    "suicide": N_("suicide and suicidal thoughts"),
    "bereavement": N_("bereavement and loss"),
    "abuse": N_("abuse, including domestic abuse"),
    "sexual-violence": N_("sexual violence"),
    "violence": N_("violence"),
    "mental-health-crisis": N_("mental health crisis"),
    "prison": N_("prison and the justice system"),
    "strong-language": N_("strong language"),
}

# station/data/resource-kinds.yaml, by id
KINDS = {
    "treatment": N_("Treatment services"),
    "harm-reduction": N_("Harm reduction"),
    "mutual-aid": N_("Mutual aid"),
    "peer-support": N_("Peer support"),
    "recovery-community": N_("Recovery community"),
    "housing": N_("Housing"),
    "work-learning": N_("Work, learning and volunteering"),
    "money": N_("Money and benefits"),
    "health": N_("Physical and mental health"),
    "family": N_("Family and carers"),
    "justice": N_("Justice"),
    "community": N_("Community"),
    "crisis": N_("Crisis and out-of-hours"),
}

# The systems map's parts (catalog/recovery_map.py Node.part)
PARTS = {"hold": N_("The Hold"), "struggle": N_("The Struggle"), "recovery": N_("The Recovery")}
OTHER_PARTS = {"context": N_("Around the journey"), "capital": N_("Recovery capital")}

# involvement.py ANSWERS, by state, and SOURCES, by the desk's English words (what `public()` hands the site)
ANSWERS = {"will": N_("Will do"), "wont": N_("Won't do"), "done": N_("Done")}
SOURCES = (N_("listeners' feedback"), N_("a presenter's proposal"), N_("a group's request"))

# catalog/resources.py: how to get in (ResourceMeta.access), how an entry was checked (CHECKS)
ACCESS = {
    "drop-in": N_("drop in"),
    "self-referral": N_("self referral"),
    "referral": N_("referral"),
    "appointment": N_("appointment"),
    "online": N_("online"),
    "phone": N_("phone"),
}
CHECKS = {"peer": N_("peer-checked"), "self-reported": N_("self-reported")}
FREE = N_("free")  # the cost an entry has when it says none


class Words:
    """The site's words in one language: `t` is the catalogue, `language` the station's BCP 47 tag."""

    def __init__(self, t: Gettext, language: str):
        self.t, self.language = t, language

    def content_note(self, code: str) -> str:
        return self.t.gettext(CONTENT_NOTES[code]) if code in CONTENT_NOTES else code

    def content_note_label(self, label: str) -> str:
        """A content note as the running order carries it (the English label)."""
        return self.t.gettext(label) if label in CONTENT_NOTES.values() else label

    def kind(self, kind_id: str, name: str) -> str:
        """A kind of support's name; one the station added itself stays as it named it."""
        return self.t.gettext(KINDS[kind_id]) if KINDS.get(kind_id) == name else name

    def answer(self, state: str) -> str:
        return self.t.gettext(ANSWERS[state]) if state in ANSWERS else state

    def source(self, words: str) -> str:
        return self.t.gettext(words) if words in SOURCES else words

    def access(self, way: str) -> str:
        return self.t.gettext(ACCESS.get(way, way))

    def cost(self, cost: str) -> str:
        return self.t.gettext(FREE) if cost == FREE else cost

    def check(self, check: str) -> str:
        return self.t.gettext(CHECKS[check]) if check in CHECKS else check
