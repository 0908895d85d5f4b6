"""One episode, from its recording to its files in site/: a function of its hashed inputs.

    check the recording (and the show's intro and outro) → its slug and GUID →
    withdrawn? → normalise → transcribe, apply the presenter's correction and
    hide the words listed in `redact` (normalise again with them covered) →
    tag the MP3 → publish the audio, transcripts and chapters

Every step's result is cached by the workshop under the hashes of its inputs,
so an unchanged episode does no audio or model work. The work itself (inspect,
normalise, transcribe, hide) is done as a task by station/compute/ when an
offloaded build finds a result missing (NeedsWork); this module then builds
the episode from the cache. One episode's failure is its own: `build_episode`
always returns, with the episode held back and its problems said in plain
words.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from station.build import built as states
from station.build import transcripts
from station.build.built import TRANSLATION_STEM, BuiltEpisode
from station.build.identity import identity_of
from station.build.stages import tag, transcribe
from station.build.workshop import Job, NeedsWork, Workshop, contents, detail
from station.catalog import transcript as transcript_mod
from station.catalog.model import Episode
from station.catalog.transcript import Transcript
from station.errors import DiskFull, EpisodeFailed, Problem, Severity, ToolError
from station.files import sha256_json
from station.podcast.feed import chapters_json
from station.tools.whisper_models import ModelDir


def build_episode(shop: Workshop, episode: Episode, offload: bool = False) -> BuiltEpisode:
    """The episode built from the cache; with `offload`, NeedsWork when a result of its work is missing."""
    where = shop.config.rel(episode.recording)
    # Warnings found on the way are kept when the episode is held back later.
    job, warnings = Job(offload=offload), list[Problem]()
    try:
        return _build(shop, episode, where, job, warnings)
    except NeedsWork:
        raise
    except EpisodeFailed as failed:
        return BuiltEpisode(episode, where, states.HELD_BACK, work=job.work, problems=(*warnings, *failed.problems))
    except DiskFull:  # not this episode's fault: held back, it would leave the feeds for want of space
        raise
    except Exception as exc:  # a bug must not stop the other episodes
        problem = Problem(
            where,
            f"something went wrong while building this episode ({detail(exc)})",
            "run `station build -v` and send the output to whoever looks after the station",
        )
        return BuiltEpisode(episode, where, states.HELD_BACK, work=job.work, problems=(problem,))


def _build(shop: Workshop, episode: Episode, where: str, job: Job, warnings: list[Problem]) -> BuiltEpisode:
    config, now = shop.config, shop.now
    # Withdrawn first, from the recording's hash alone: a withdrawn episode costs no analysis, even with the
    # cache deleted (a new episode has no record yet, so it cannot be withdrawn; its identity waits for the check).
    if shop.records.known(episode.key):
        identity = identity_of(
            shop.records, episode, shop.sha256(episode.recording, where), shop.present_keys, shop.namespace
        )
        if withdrawn(shop, episode, identity.guid):
            known = BuiltEpisode(episode, where, states.CHECKED, identity.slug, identity.guid)
            return replace(known, state=states.WITHDRAWN, work=job.work)
    main = shop.source(job, episode.recording, where, episode.meta.allow_clipping)
    warnings += main.warnings
    show = episode.show
    parts = [shop.part(job, show, show.meta.intro), main.source, shop.part(job, show, show.meta.outro)]
    sources = [s for s in parts if s is not None]
    identity = identity_of(shop.records, episode, main.source.sha256, shop.present_keys, shop.namespace)

    known = BuiltEpisode(episode, where, states.CHECKED, identity.slug, identity.guid)

    def done(state: str, **kw: Any) -> BuiltEpisode:
        """The record as it stands when the build stops, with what it found on the way."""
        return replace(
            known,
            state=state,
            files=frozenset(job.files),
            copies=tuple(sorted(job.copies)),
            work=job.work,
            problems=tuple(warnings),
            **kw,
        )

    if withdrawn(shop, episode, identity.guid):
        return done(states.WITHDRAWN)
    if shop.check:
        return done(states.CHECKED)
    audio_key, audio, measured = shop.normalised(job, sources, episode.masked, where)
    published = _transcript(shop, job, episode, where, audio_key, audio, warnings)
    transcript_state = (
        published.transcript.source if published else ("pending" if shop.settings.transcripts.enabled else None)
    )
    if published and published.hide:  # the published audio has the hidden words covered
        audio_key, audio, measured = shop.normalised(job, sources, episode.masked, where, published.hide)
    transcripts.remember(config, episode, identity.slug, identity.guid, published)
    # The copies the cache holds of it, so a withdrawal can remove them too.
    if shop.ledger.recall(f"copies:{identity.guid}") != sorted(job.copies):
        shop.ledger.remember(f"copies:{identity.guid}", "copies", sorted(job.copies))
    common = {
        "measured": measured,
        "transcript_state": transcript_state,
        "hidden": tuple(published.found.values()) if published else None,
        "stream_audio": config.rel(audio) if "stream" in episode.meta.consent.scope else None,
    }
    on_site, in_podcast = episode.published_now("site", now), episode.published_now("podcast", now)
    if not (on_site or in_podcast):
        return done(states.NOT_PUBLIC_YET, **common)

    base = f"media/{show.slug}/{identity.slug}"
    page_url = f"{shop.settings.station.base_url}shows/{show.slug}/{identity.slug}/"
    tags = tag.tagset(episode, config, page_url, measured["duration_s"], shop.cover(job, episode))
    wrote = shop.publish(job, f"{base}.mp3", tag.key(audio_key, tags), lambda tmp: tag.write(audio, tags, tmp))
    for stem, t in transcript_files(base, published):
        for suffix, render in transcript_mod.FORMATS.items():
            text = render(t)
            wrote |= shop.publish(job, f"{stem}{suffix}", sha256_json([suffix, text]), contents(text))
    chapters = None
    if episode.meta.chapters:
        chapters = f"{base}.chapters.json"
        text = chapters_json(episode, measured["duration_s"])
        wrote |= shop.publish(job, chapters, sha256_json(text), contents(text))
    size = (config.site_dir / f"{base}.mp3").stat().st_size
    return done(
        states.BUILT if wrote else states.UNCHANGED,
        **common,
        audio=f"{base}.mp3",
        size=size,
        transcript=page_transcript(published.transcript) if published else None,
        translation=page_transcript(published.translation) if published and published.translation else None,
        chapters=chapters,
        on_site=on_site,
        in_podcast=in_podcast,
    )


def transcript_files(base: str, published: transcribe.Published | None) -> list[tuple[str, Transcript]]:
    """The stems of the published transcript files and what each holds: `<base>.vtt` … the transcript, and
    `<base>.en.vtt` … its English translation (TRANSLATION_STEM), when there is one."""
    if published is None:
        return []
    found = [(base, published.transcript)]
    if published.translation is not None:
        found.append((base + TRANSLATION_STEM, published.translation))
    return found


def page_transcript(t: Transcript) -> Transcript:
    """What feeds and pages need of a transcript: cue times and text. Word timings are most of its memory
    (about 1 MB for 25 minutes), and a build keeps every episode's until the pages are made."""
    return replace(t, cues=tuple(replace(c, words=()) for c in t.cues))


# ------------------------------------------------------------ withdrawal
def withdrawn(shop: Workshop, episode: Episode, guid: str) -> bool:
    """Taken back by its presenter, and not given again since: a consent record dated after the withdrawal."""
    if shop.records.withdrawn(guid) is None:
        return False
    if given_again(shop, episode, guid):
        if not shop.check:
            shop.records.reconsented(guid)
        return False
    return True


def given_again(shop: Workshop, episode: Episode, guid: str) -> bool:
    at = shop.records.withdrawn(guid)
    return at is not None and episode.meta.consent.date > datetime.fromisoformat(at).date()


# ------------------------------------------------------------ transcripts
def _transcript(
    shop: Workshop, job: Job, episode: Episode, where: str, audio_key: str, audio, warnings: list[Problem]
) -> transcribe.Published | None:
    """The transcript to publish, with the audio spans to hide; None while it is pending."""
    terms = episode.meta.redact
    sidecar = shop.config.rel(episode.sidecar)
    if not shop.settings.transcripts.enabled:
        if terms:
            raise EpisodeFailed(
                Problem(
                    sidecar,
                    "words to hide are listed, but transcripts are turned off, so "
                    "they cannot be found and this episode is held back",
                    "turn transcripts on (`[transcripts] enabled = true`) or remove `redact`",
                )
            )
        return None
    machine_t = _machine_transcript(shop, job, episode, where, audio_key, audio, warnings)
    corrected = None
    correction = transcribe.correction_for(episode.recording)
    if correction is not None:
        corrected, problems = transcribe.read_correction(correction, shop.config.rel(correction), machine_t)
        warnings += problems
    speaker = episode.credits[0] if len(episode.credits) == 1 else None
    if machine_t is None:
        if terms:
            raise EpisodeFailed(
                Problem(
                    where,
                    "there is no transcript yet, so the words to hide cannot be found; "
                    "this episode is held back until there is",
                    "build again; if the transcript keeps failing, see the message above",
                )
            )
        if corrected is None:
            return None
        return transcribe.Published(replace(corrected, speaker=speaker), (), {})
    published = transcribe.publishable(machine_t, corrected, terms, shop.settings.transcripts.redact_margin_s)
    # Words to hide are often names: messages give their place in the list, never the word itself.
    for number, count in enumerate(published.found.values(), 1):
        if count == 0:
            warnings.append(
                Problem(
                    sidecar,
                    f"redact entry {number} was not heard in the recording, so nothing was hidden for it",
                    "listen to the episode to check; if it is said, add a "
                    "corrected transcript with the word where it is said (docs/episodes.md: "
                    "Transcripts)",
                    Severity.WARNING,
                )
            )
    translation = _translation(shop, job, episode, where, audio_key, warnings)
    if translation is not None:
        margin_s = shop.settings.transcripts.redact_margin_s
        translation = replace(transcribe.published_translation(translation, terms, margin_s), speaker=speaker)
    return replace(published, transcript=replace(published.transcript, speaker=speaker), translation=translation)


@dataclass(frozen=True)
class Plan:
    """How the machine transcribes an episode: with which model, how, and whether it also translates it."""

    language: str  # the episode's, as Whisper names it ("pl")
    model: ModelDir | None  # None: no model this station has can (`why` says so)
    options: transcribe.Options | None = None
    translate: transcribe.Options | None = None  # Whisper's translate task, when the sidecar asks for English
    why: str = ""


def transcript_plan(shop: Workshop, episode: Episode) -> Plan:
    """The station's model (`[transcripts] model`) where it can; when it knows only English (tiny.en, the
    default), an episode in another language or asking for a translation gets the multilingual base model."""
    model, settings = shop.model, shop.settings
    assert model is not None
    language = (episode.meta.language or episode.show.meta.language or settings.station.language).split("-")[0]
    translating = episode.meta.translate is not None and language != "en"
    if model.english_only and language != "en":
        try:
            model = shop.multilingual()
        except ToolError as exc:
            return Plan(language, None, why=str(exc))
    names = [settings.station.name, episode.show.meta.title, *episode.credits, *episode.meta.redact]
    opts = transcribe.options(settings, language, names)
    return Plan(language, model, opts, transcribe.translate_options(opts) if translating else None)


def _machine_transcript(
    shop: Workshop, job: Job, episode: Episode, where: str, audio_key: str, audio, warnings: list[Problem]
) -> Transcript | None:
    assert shop.model is not None
    plan = transcript_plan(shop, episode)
    if plan.model is None or plan.options is None:
        # The multilingual model's own words say what is wrong with it and what to do.
        missing, _, fix = plan.why.partition(" — ")
        warnings.append(
            Problem(
                where,
                f"this episode's language is “{plan.language}”, but the Whisper model {shop.model.name} knows "
                f"only English and {missing}, so its transcript is pending",
                f"{fix}, and build again",
                Severity.WARNING,
            )
        )
        return None
    return _cached_transcript(
        shop, job, where, plan.model, audio_key, plan.options, warnings, "the transcript", "it shows as pending"
    )


def _translation(
    shop: Workshop, job: Job, episode: Episode, where: str, audio_key: str, warnings: list[Problem]
) -> Transcript | None:
    """The English translation the sidecar asks for (`translate: en`), from the same audio as the transcript."""
    plan = transcript_plan(shop, episode)
    if plan.model is None or plan.translate is None:
        return None
    return _cached_transcript(
        shop,
        job,
        where,
        plan.model,
        audio_key,
        plan.translate,
        warnings,
        "the English translation",
        "the transcript is published without it for now",
    )


def _cached_transcript(
    shop: Workshop,
    job: Job,
    where: str,
    model: ModelDir,
    audio_key: str,
    opts: transcribe.Options,
    warnings: list[Problem],
    what: str,
    meanwhile: str,
) -> Transcript | None:
    key = transcribe.key(audio_key, model, opts, shop.settings)
    cached = shop.cache / "transcripts" / f"{key}.json"
    job.copies.add(shop.config.rel(cached))
    if cached.exists():
        return Transcript.from_dict(json.loads(cached.read_text(encoding="utf-8")))
    if key not in shop.transcript_failed:
        raise NeedsWork(where)
    # One episode's failure leaves the others and this one's audio alone.
    warnings.append(
        Problem(
            where,
            f"{what} could not be made ({shop.transcript_failed[key]}); {meanwhile}",
            "build again; if it keeps failing, run `station build -v` "
            "and send the output to whoever looks after the station",
            Severity.WARNING,
        )
    )
    return None
