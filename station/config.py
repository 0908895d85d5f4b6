"""station.toml → frozen, validated settings, with every problem listed at once.

This module is the one place where every station-wide default lives: loudness
targets, encoding, trimming, validation thresholds, timeouts. Nothing else
hard-codes a number a station might want to change. There is no global
config object: `load(root)` returns a `Config` and callers pass it on.

Most defaults are settings, which station.toml can change. The rest — the
desk's sign-in rules, the bucket's and the stream's timeouts and retries —
are fixed, but declared here too (below), so each of them is read from one
place.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import pydantic
from pydantic import BaseModel, Field, field_validator, model_validator

from station.errors import ConfigError, Problem
from station.validation import MULTILINE, Frozen, Typed, validate

CONFIG_NAME = "station.toml"
STATE_DIR = ".station"  # the build's cache: never published, never committed, safe to delete
# The station's durable records — withdrawals, GUIDs and slugs, the desk's accounts and who looks after what.
# They live beside content/ so a backup or a move of the station's folder takes them along; never in the cache.
RECORDS_DIR = "records"

# ---------------------------------------------------------------- fixed defaults, not settings
# The desk's sign-in (desk/accounts.py).
MIN_PASSWORD = 10
MAX_PASSWORD = 1024  # argon2 takes any length; nobody types more, and hashing more is work
SESSION_IDLE_S = 12 * 3600  # signed out after half a day without use…
SESSION_MAX_S = 7 * 24 * 3600  # …and after a week in any case
FAILURES_PER_NAME = 5  # wrong passwords for one account within the window…
FAILURES_PER_ADDRESS = 20  # …or from one address, before sign-in waits
FAILURE_WINDOW_S = 15 * 60
ACCOUNTS_BUSY_S = 10.0  # how long a request waits for another's write to the desk's database
# Listener feedback (desk/feedback.py): the desk's one public form. Counted per address in memory only.
FEEDBACK_PER_MINUTE = 20  # posts from one address in a minute; the next is refused politely (429)
FEEDBACK_WINDOW_S = 60
FEEDBACK_ADDRESSES = 50_000  # addresses remembered at once; the oldest are forgotten first
FEEDBACK_MAX_CHARS = 2_000  # a message, in characters
FEEDBACK_BODY = 32 * 1024  # the whole form, in bytes (2,000 four-byte characters percent-encoded fit)
ASK_TEXT_MAX = 2_000  # an ask's text, scope, and an answer's reason or evidence

# The bucket (web/publish.py through tools/s3.py); tries per request are [publish] attempts.
S3_CONNECT_TIMEOUT_S = 10.0
S3_READ_TIMEOUT_S = 120.0
S3_PART_MB = 16  # each part of a file that goes up in parts ([publish] multipart_mb says which do)
S3_PARTS_AT_ONCE = 4

# Images on the website (tools/images.py): each artwork and the logo are made at these widths, in these
# formats (JPEG for any browser that takes no WebP), once per content. AVIF is left out though this Pillow
# writes it: it doubled the build's image time for files about 11 % smaller than WebP's, a kilobyte or two a
# page at these sizes (bench/README.md: Artwork). Add "avif" before "webp" here to have it.
IMAGE_WIDTHS = (180, 360, 720)  # pages draw artwork 10rem (180 CSS px) wide: 1×, 2×, 4× screens
IMAGE_FORMATS = ("webp", "jpeg")
IMAGE_QUALITY = 80
LOGO_HEIGHTS = (48, 96)  # the logo is drawn 48 CSS px high: 1× and 2× screens

# The colours of the site a station does not choose (templates/static/site.css), and the contrast its own
# colours must keep against them: WCAG 2.2 AA asks 4.5:1 for text (1.4.3), 3:1 for a focus ring (1.4.11).
MUTED_INK = "#4a4a52"
FOCUS_RING = "#c2410c"
CARD = "#ffffff"  # episode and place cards
NOTE_PAPER = "#fff4d6"  # the crisis lines and content notes
NOW_PAPER = "#e3f1f5"  # the transcript line being spoken
TEXT_CONTRAST = 4.5
UI_CONTRAST = 3.0

# The night's playout (radio/stream.py, tools/icecast.py); a dropped output waits [stream] retry_s.
OUTPUT_BACKLOG_S = 5.0  # audio queued for one output; past this that output loses audio, the others do not
OUTPUT_CLOSE_S = 30.0  # an output's writer, at the end of the night, before it is left behind
OUTPUT_QUICK_S = 2.0  # an encoder that fails this soon after it started is tried again in a quarter of this
OUTPUT_QUICK_TRIES = 4  # ... this many times running, before retry_s
ENCODER_EXIT_S = 20.0  # an encoder given its last audio, before it is stopped
ENCODER_REASON_S = 2.0  # a dropped encoder, to exit and say why, before it is stopped
DECODER_EXIT_S = 5.0  # a decoder whose audio has ended, to exit with its status
STDERR_DRAIN_S = 2.0  # a stopped tool's last words, to be read
SHORT_END_S = 0.5  # a file ending this close to its slot's end is padded, not replaced
CHECK_EVERY_S = 2.0  # how often a playing file is checked to still be there (withdrawal)
TITLE_TIMEOUT_S = 5.0  # one title update to Icecast
TITLE_ATTEMPTS = 3  # just after a (re)connect the mount may not be there yet
TITLE_RETRY_S = 1.0
# HLS to the bucket as it is made ([stream] hls_publish, radio/hls_publish.py).
HLS_SEGMENT_CACHE = "public, max-age=31536000, immutable"  # a segment never changes once made
HLS_PUBLISH_QUEUE = 200  # uploads waiting; past this, the oldest news is dropped and the next playlist catches up
HLS_PUBLISH_CLOSE_S = 30.0  # at the night's end, for the last uploads to go
# Live presenters (radio/live.py, desk/live_pages.py; [stream] live_* are a station's own choices).
LIVE_STALL_S = 0.6  # no audio from a connected presenter this long: standby plays at once (no gap of 2 s)
LIVE_RETRY_S = 0.5  # how often playout looks for a presenter's source on the live mount
LIVE_BACKLOG_S = 4.0  # live audio waiting to be sent; past this the oldest goes (Icecast's burst on joining)
LIVE_FADE_MS = 150  # a presenter fades in as they come on air
LIVE_SECRET_BYTES = 18  # a presenter's live password: 24 URL-safe characters
# `station run` keeps the stream in a process of its own and starts it again when it dies mid-night.
STREAM_RESTART_S = 0.1  # how often the daemon looks at the stream process (a dead one is back within 2 s)
STREAM_BACKOFF_S = (0.0, 0.0, 1.0, 5.0, 30.0)  # waits before the 1st, 2nd, ... restart inside STREAM_CALM_S
STREAM_CALM_S = 300.0  # a stream that ran this long since its last start has its restarts counted afresh
STREAM_STOP_S = 30.0  # a stream process asked to stop, to finish the night's files, before it is killed

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_LANG = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")


def check_language(value: str) -> str:
    if not _LANG.match(value):
        raise ValueError(f"{value!r} is not a language code — use a code like `en-GB` or `cy`")
    return value


Language = Annotated[str, pydantic.AfterValidator(check_language)]


def check_timezone(value: str) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{value!r} is not a time zone we know — use a name like `Europe/London`") from None
    return value


class FundingLink(Typed):
    """Where listeners can support the station (podcast:funding). Thanks, never editorial control."""

    url: str = Field(pattern=r"^https?://", max_length=2_000)
    text: str = Field(min_length=1, max_length=128)


class StationSettings(Typed):
    # Every text here is typed by a coordinator and reaches every feed and page: checked like a sidecar's
    # (docs/episodes.md: Limits), and as long as Apple Podcasts shows.
    name: str = Field(min_length=1, max_length=200)
    base_url: str = Field(max_length=2_000)
    language: Language = "en-GB"
    contact_email: str = Field(max_length=254)  # RFC 5321's longest address
    description: Annotated[str, MULTILINE] = Field(default="", max_length=4_000)
    artwork: str | None = Field(default=None, max_length=255)
    copyright: str | None = Field(default=None, max_length=200)
    funding: list[FundingLink] = Field(default_factory=list, max_length=20)
    # The station's own clock: opening hours, "open now" and the overnight window are in it.
    timezone: str = "Europe/London"

    _timezone = field_validator("timezone")(classmethod(lambda cls, v: check_timezone(v)))

    @field_validator("base_url")
    @classmethod
    def _url(cls, value: str) -> str:
        if not re.match(r"^https?://[^\s/]+", value):
            raise ValueError(
                f"{value!r} is not a web address — write the full address, like `https://radio.example.org/`"
            )
        return value.rstrip("/") + "/"

    @field_validator("contact_email")
    @classmethod
    def _email(cls, value: str) -> str:
        if not _EMAIL.match(value):
            raise ValueError(
                f"{value!r} is not an e-mail address — write one people can reach, like `hello@example.org`"
            )
        return value


class LoudnessSettings(BaseModel):
    """Podcast loudness (AES TD1008): -16 LUFS stereo, -19 LUFS mono, -1 dBTP."""

    model_config = Frozen
    stereo_lufs: float = Field(default=-16.0, ge=-31, le=-9)
    mono_lufs: float = Field(default=-19.0, ge=-31, le=-9)
    true_peak_db: float = Field(default=-1.0, ge=-9, le=0)
    tolerance_lu: float = Field(default=1.0, gt=0, le=3)
    # Off by default: a limiter catches peaks but keeps the loudness range;
    # compression would flatten the way people actually speak.
    compress: bool = False


class AudioSettings(BaseModel):
    model_config = Frozen
    stereo_kbps: int = Field(default=128, ge=32, le=320)
    mono_kbps: int = Field(default=64, ge=32, le=320)
    sample_rate_hz: int = Field(default=44100, ge=22050, le=48000)
    trim_below_db: float = Field(default=-50.0, ge=-90, le=-20)  # what counts as silence at either end
    trim_keep_s: float = Field(default=0.3, ge=0, le=5)  # breathing room left after trimming
    min_duration_s: float = Field(default=3.0, ge=0)  # shorter than this after trimming: a problem
    max_clipped_share: float = Field(default=0.002, gt=0, le=1)  # share of samples stuck at full scale
    mask_pitch: float = Field(default=0.82, ge=0.5, le=1.5)  # pitch/formant ratio for pseudonym-masked voices


class BuildSettings(Typed):
    content_dir: str = "content"
    site_dir: str = "site"
    # A recording changed this recently is watched this long for growth,
    # so a file still being copied in is left for the next run.
    settle_s: float = Field(default=2.0, ge=0, le=60)
    tool_timeout_s: float = Field(default=4 * 3600, gt=0)  # one ffmpeg run; a whole night fits
    loudness_attempts: int = Field(default=3, ge=1, le=6)  # renders before giving up on a loudness target


class TranscriptSettings(Typed):
    enabled: bool = True
    # "tiny.en" (default, English), "base" (multilingual) or a path to a local CTranslate2 Whisper folder.
    model: str = "tiny.en"
    beam_size: int = Field(default=5, ge=1, le=10)
    vad_filter: bool = True
    # Off by default: with it on, Whisper repeats itself on longer recordings.
    condition_on_previous_text: bool = False
    # Whisper drops a segment it thinks is not speech (and is unsure of). 0.45 rather than its 0.6:
    # at the quiet end of a recording it otherwise "hears" words that were never said.
    no_speech_threshold: float = Field(default=0.45, ge=0, le=1)
    compute_type: Literal["int8", "int8_float32", "float32"] = "int8"
    cpu_threads: int = Field(default=0, ge=0, le=64)  # 0: one a core
    redact_with: Literal["tone", "silence"] = "tone"
    redact_margin_s: float = Field(default=0.15, ge=0, le=2)  # hidden either side of a word's timing


COLOUR = r"^#[0-9a-fA-F]{6}$"


class SiteSettings(Typed):
    """The website: where a station's own templates live, and the quick-exit control."""

    # A folder of the station's own Jinja2 templates; each one found there replaces the built-in one
    # of that name, and can extend it as "default/<name>" to change a single block.
    templates: str = "templates"
    # Where "leave this site quickly" goes: an everyday page elsewhere, so the address bar and the
    # back button no longer show the station.
    quick_exit_url: str = Field(default="https://www.bbc.co.uk/weather", pattern=r"^https?://")
    latest: int = Field(default=10, ge=1, le=100)  # episodes on the home page
    # The station's look: a logo beside its name at the top of every page (an image file, any shape; it
    # sits beside the name in text, so it needs no words of its own), words for what the station artwork
    # shows (read out in its place; the station's name when not given), and the colours of the text, the
    # page and the links and buttons. Each colour is checked at build against what it sits on (WCAG 2.2 AA).
    logo: str | None = Field(default=None, max_length=255)
    artwork_alt: str | None = Field(default=None, max_length=300)
    ink: str = "#1d1d1f"  # text
    paper: str = "#fdfcf8"  # the page behind it
    accent: str = "#0b5a73"  # links, and the quick-exit button
    accent_ink: str = "#ffffff"  # text on the quick-exit button

    @field_validator("ink", "paper", "accent", "accent_ink")
    @classmethod
    def _colour(cls, value: str) -> str:
        if not re.fullmatch(COLOUR, value):
            raise ValueError(f"{value!r} is not a colour we can use — write it as # and six hex digits, like `#0b5a73`")
        return value.lower()


def _no_credentials(data: Any, instead: str) -> Any:
    """A table of station.toml with no credential in it (a key that looks like one is refused, saying `instead`)."""
    if isinstance(data, dict):
        secret = [k for k in data if "secret" in k.lower() or "access_key" in k.lower() or "token" in k.lower()]
        if secret:
            raise ValueError(
                f"`{secret[0]}` looks like a credential, and credentials never go in station.toml — remove it and "
                + instead
            )
    return data


class PublishSettings(Typed):
    """An S3-compatible bucket to publish site/ to. Credentials never live here: they come from the
    standard AWS environment variables or a named profile in ~/.aws."""

    bucket: str = Field(min_length=3, max_length=63, pattern=r"^[a-z0-9][a-z0-9.-]+[a-z0-9]$")
    endpoint_url: str | None = Field(default=None, pattern=r"^https?://")  # none: Amazon S3 itself
    region: str = "us-east-1"
    prefix: str = ""  # a folder inside the bucket, e.g. "radio/"
    profile: str | None = None  # an AWS profile name (~/.aws/credentials); never the keys themselves
    attempts: int = Field(default=6, ge=1, le=20)  # tries per request, with backoff, on throttling, 5xx and drops
    # Bigger files go up in parts. 200 MB is rclone's cut-off too: a whole episode (3 hours at 64 kb/s is 86 MB)
    # goes in one request, which on a fast link costs less than parts do; a night-long recording goes in parts,
    # which botocore retries one by one over a link that drops.
    multipart_mb: int = Field(default=200, ge=5, le=5000)

    @model_validator(mode="before")
    @classmethod
    def _no_secrets(cls, data: Any) -> Any:
        return _no_credentials(
            data, "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the environment, or name a profile with `profile`"
        )

    @field_validator("prefix")
    @classmethod
    def _prefix(cls, value: str) -> str:
        value = value.strip("/")
        return f"{value}/" if value else ""


class StreamSettings(Typed):
    """The night-owl stream's playout (`station stream`) and the daemon (`station run`).

    The Icecast source password never lives here: it is read from the environment
    variable named by `password_env`."""

    # Where the stream is sent: the Icecast server and mount, like "icecast://127.0.0.1:8000/night.mp3".
    icecast_url: str | None = Field(default=None, pattern=r"^icecast://[^/\s@]+/[^\s]+$")
    icecast_user: str = "source"
    password_env: str = Field(default="STATION_ICECAST_PASSWORD", pattern=r"^[A-Z_][A-Z0-9_]*$")
    listen_url: str | None = Field(
        default=None, pattern=r"^https?://"
    )  # the mount as listeners reach it (tonight page)
    hls: bool = True  # also write HLS under site/live/
    hls_name: str = Field(default="night.m3u8", pattern=r"^[a-z0-9-]+\.m3u8$")
    hls_segment_s: int = Field(default=6, ge=2, le=30)
    hls_window_s: int = Field(default=60, ge=10, le=3600)  # how much of the night the rolling playlist lists
    hls_publish: bool = False  # also upload HLS (and live/now.json) to the [publish] bucket as it is made
    mp3_kbps: int = Field(default=128, ge=32, le=320)
    aac_kbps: int = Field(default=96, ge=32, le=320)
    silence_db: float = Field(default=-50.0, ge=-90, le=-20)  # quieter than this is silence
    silence_max_s: float = Field(default=5.0, ge=1, le=60)  # silence this long: logged, and standby takes over
    lead_s: float = Field(default=1.0, ge=0.2, le=10)  # how far ahead of the clock audio is sent
    # Smooth joins: every item fades in and out over fade_ms; one music bed crossfades into the next over
    # crossfade_s (0: none; like AzuraCast's 2 s), never into or out of speech; a bed goes on under a
    # following ident or signposting, duck_db quieter, fading out as it ends.
    fade_ms: int = Field(default=20, ge=0, le=500)
    crossfade_s: float = Field(default=2.0, ge=0, le=10)
    duck_db: float = Field(default=-15.0, ge=-60, le=0)
    retry_s: float = Field(default=5.0, ge=0.5, le=300)  # wait before reconnecting a dropped output
    # Live presenters: their source client connects to live_mount on the same Icecast, authenticated by the
    # desk (Icecast's URL authentication). A presenter not there grace_s after their slot starts, or gone
    # for drop_s, hands the air to standby and then the running order, at its next item on the night's clock.
    live_mount: str = Field(default="/live.mp3", pattern=r"^/[A-Za-z0-9._-]+$")
    live_grace_s: float = Field(default=60.0, ge=1, le=1800)
    live_drop_s: float = Field(default=8.0, ge=1, le=600)
    live_lead_in_min: int = Field(default=10, ge=0, le=120)  # the desk lets a presenter connect this early
    # Where presenters' apps connect ("radio.example.org:8000"); none: the host and port of icecast_url.
    live_source_host: str | None = Field(default=None, pattern=r"^[A-Za-z0-9.\[\]:-]+$")
    # The daemon (`station run`): every default APScheduler would otherwise choose is set here.
    build_every_min: int = Field(default=5, ge=1, le=1440)  # look for new recordings this often
    assemble_at: str = "20:00"  # pin the coming night's running order at this time
    build_grace_s: int = Field(default=600, ge=1)  # a build missed by less than this still runs (once)
    assemble_grace_s: int = Field(default=4 * 3600, ge=1)
    stream_grace_s: int = Field(default=12 * 3600, ge=1)  # a missed start still starts the night, joining late

    @field_validator("assemble_at")
    @classmethod
    def _clock(cls, value: str) -> str:
        if not re.match(r"^([01]\d|2[0-3]):[0-5]\d$", value):
            raise ValueError(f'{value!r} is not a clock time — write it like "20:00"')
        return value

    @model_validator(mode="before")
    @classmethod
    def _no_password(cls, data: Any) -> Any:
        if isinstance(data, dict):
            secret = [k for k in data if "password" in k.lower() and k != "password_env"]
            if secret:
                raise ValueError(
                    f"`{secret[0]}` would put a password in station.toml, and passwords never go "
                    "there — remove it and set the environment variable named by `password_env` "
                    "(STATION_ICECAST_PASSWORD unless you change it)"
                )
        return data

    @property
    def mount(self) -> str | None:
        return "/" + self.icecast_url.split("://", 1)[1].split("/", 1)[1] if self.icecast_url else None


class DeskSettings(BaseModel):
    """`station desk`: the presenters' and coordinators' web app.

    Its cookies are `Secure`, so browsers send them only over HTTPS — or to
    the machine itself (localhost), where no certificate is needed. Put the
    desk behind a TLS proxy (Caddy, nginx) for anyone signing in from elsewhere."""

    model_config = Frozen
    host: str = "127.0.0.1"  # where it listens; loopback unless a proxy is in front
    port: int = Field(default=8470, ge=1, le=65535)
    max_upload_mb: int = Field(default=500, ge=1, le=10_000)  # the largest recording a presenter can upload
    # Bytes do not bound the work: a few MB of FLAC can hold hours of near-silence, and every minute is
    # normalised and transcribed. The whole upload is decoded and its length checked against this.
    max_minutes: int = Field(default=180, ge=1, le=24 * 60)
    # Every form but an upload (a long transcript correction is the largest), and the fields any form may
    # have: the desk reads no more before it refuses, so one request cannot make it grow.
    max_form_kb: int = Field(default=1024, ge=16, le=64 * 1024)
    max_form_fields: int = Field(default=5000, ge=100, le=100_000)  # the schedule form of 200 blocks has about 4,000
    build_after_change: bool = True  # build at once after an upload, correction or pause
    idle_s: int = Field(default=120, ge=10, le=3600)  # a connection that sends nothing this long is closed
    max_connections: int = Field(default=100, ge=4, le=10_000)  # open at once; more wait in the kernel's queue
    # Proxies whose X-Forwarded-For is believed (addresses or networks, like "127.0.0.1" for a proxy on the
    # same machine). Behind one, every request comes from its address: without this the sign-in throttle
    # would count everyone as one. Nobody else's header is believed, so it cannot be used to dodge the throttle.
    trusted_proxies: list[str] = Field(default_factory=list)
    # The desk's address as listeners' browsers reach it (through the TLS proxy), like
    # "https://desk.radio.example.org/". Set, every episode page and the tonight page carry the feedback
    # form, which posts to <public_url>feedback; unset, they carry none (docs/desk.md: Listener feedback).
    public_url: str | None = Field(default=None, max_length=2_000)
    # The language the desk's pages speak (README: Decisions, "The desk's language"); unset, the station's
    # own ([station] language). Without a desk catalogue for it, the desk speaks English.
    language: str | None = Field(default=None, max_length=35)

    @field_validator("language")
    @classmethod
    def _language(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        value = check_language(value.strip())
        from station.tools.locale import locale_or_none

        if locale_or_none(value) is None:
            raise ValueError(f"{value!r} is not a language we know — use a code like `pl` or `en-GB`")
        return value

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        if not re.match(r"^https?://[^\s/?#;,'\"]+(/[^\s?#;,'\"]*)?$", value.strip()):
            raise ValueError(
                f"{value!r} is not the desk's web address — write the full address listeners reach it at, "
                'like "https://desk.radio.example.org/"'
            )
        return value.strip().rstrip("/") + "/"

    @property
    def feedback_url(self) -> str | None:
        """Where the site's feedback form posts (None: no form on the site)."""
        return f"{self.public_url}feedback" if self.public_url else None

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        import ipaddress

        for item in value:
            try:
                ipaddress.ip_network(item.strip(), strict=False)
            except ValueError:
                raise ValueError(
                    f'{item!r} is not an address or a network — write it like "127.0.0.1" or "10.0.0.0/8"'
                ) from None
        return [item.strip() for item in value]


class CrisisLine(Typed):
    # Shown on every page and read out overnight: short enough for both.
    name: str = Field(min_length=1, max_length=100)
    number: str = Field(min_length=1, max_length=50)
    hours: str = Field(min_length=1, max_length=100)
    url: str | None = Field(default=None, pattern=r"^https?://", max_length=2_000)


class ComputeSettings(Typed):
    """Where an episode's audio and model work runs (`station build`): a pool on this machine, or a Dask
    cluster. The station machine itself always keeps the catalogue, the records, feeds, site and publish."""

    # "" runs the work here; "tcp://host:8786" sends it to that Dask scheduler (docs/scale.md).
    scheduler: str = ""
    # What to do when the scheduler cannot be reached: stop and say so, or build on this machine instead.
    fallback: Literal["none", "local"] = "none"
    workers: int = Field(default=0, ge=0, le=256)  # episodes worked on at once on this machine; 0: one a core
    # Where inputs and results travel between the station and its workers, named by their sha256: "" is the
    # station's own cache folder (workers on this machine); a folder every worker mounts; or "s3://bucket/prefix".
    store: str = ""
    endpoint_url: str | None = Field(default=None, pattern=r"^https?://")  # the store's S3-compatible endpoint
    region: str = "us-east-1"
    profile: str | None = None  # an AWS profile for the store; never the keys themselves
    connect_timeout_s: float = Field(default=10.0, gt=0, le=600)  # reaching the scheduler, and its first worker
    retries: int = Field(default=2, ge=0, le=10)  # a task that fails is tried again this often (a lost worker's
    # tasks are run again by Dask itself, whatever this says)

    @model_validator(mode="before")
    @classmethod
    def _no_secrets(cls, data: Any) -> Any:
        return _no_credentials(
            data,
            "give the station and every worker AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in their "
            "environment, or name a profile with `profile`",
        )

    @field_validator("scheduler")
    @classmethod
    def _scheduler(cls, value: str) -> str:
        if value and not re.match(r"^(tcp|tls)://[^\s/:]+:\d{1,5}$", value):
            raise ValueError(
                f"{value!r} is not a Dask scheduler's address — write it like `tcp://10.0.0.5:8786`, "
                "or leave it out to work on this machine"
            )
        return value

    @field_validator("store")
    @classmethod
    def _store(cls, value: str) -> str:
        if value.startswith("s3://"):
            bucket = value[5:].split("/", 1)[0]
            if not re.match(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", bucket):
                raise ValueError(
                    f"{value!r} does not name a bucket we can use — write it like `s3://peerwave-work/artefacts`"
                )
        elif "://" in value:
            raise ValueError(
                f"{value!r} is neither a folder nor an s3:// bucket — write a path, or `s3://bucket/prefix`"
            )
        return value

    @property
    def local(self) -> bool:
        return not self.scheduler


class Settings(BaseModel):
    model_config = Frozen
    station: StationSettings
    loudness: LoudnessSettings = LoudnessSettings()
    audio: AudioSettings = AudioSettings()
    build: BuildSettings = BuildSettings()
    transcripts: TranscriptSettings = TranscriptSettings()
    site: SiteSettings = SiteSettings()
    publish: PublishSettings | None = None
    stream: StreamSettings = StreamSettings()
    desk: DeskSettings = DeskSettings()
    compute: ComputeSettings = ComputeSettings()
    crisis_lines: list[CrisisLine] = Field(default_factory=list)


EXAMPLE = {
    "station": "[station] with name, base_url and contact_email",
    "name": 'name = "Night Owls Radio"',
    "base_url": 'base_url = "https://radio.example.org/"',
    "contact_email": 'contact_email = "hello@example.org"',
}


@dataclass(frozen=True)
class Config:
    """Settings plus the places they apply to."""

    root: Path
    settings: Settings

    @property
    def content_dir(self) -> Path:
        return self.root / self.settings.build.content_dir

    @property
    def site_dir(self) -> Path:
        return self.root / self.settings.build.site_dir

    @property
    def state_dir(self) -> Path:
        return self.root / STATE_DIR

    @property
    def records_dir(self) -> Path:
        return self.root / RECORDS_DIR

    def rel(self, path: Path) -> str:
        """A path as a presenter sees it: relative to the station root."""
        try:
            return str(path.relative_to(self.root))
        except ValueError:
            return str(path)


def with_compute(config: Config, **changes: Any) -> Config:
    """The config with `[compute]` settings changed for one run (`station build --scheduler`), validated."""
    data = {**config.settings.compute.model_dump(), **changes}
    compute, problems = validate(ComputeSettings, data, "--scheduler")
    if compute is None:
        raise ConfigError(problems)
    return Config(config.root, config.settings.model_copy(update={"compute": compute}))


def read_toml(path: Path, where: str) -> tuple[dict[str, Any] | None, list[Problem]]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8")), []
    except FileNotFoundError:
        return None, [Problem(where, "this file is missing", "create it (see README: “A station”)", file=where)]
    except UnicodeDecodeError:
        return None, [Problem(where, "this file is not plain text", "save it as UTF-8 text", file=where)]
    except tomllib.TOMLDecodeError as exc:
        return None, [
            Problem(
                where, f"this is not valid TOML ({exc})", "fix the line it names; text values need quotes", file=where
            )
        ]


def load(root: Path) -> Config:
    root = root.resolve()
    if not root.is_dir():
        raise ConfigError(
            [Problem(str(root), "this folder does not exist", "pass the station's folder with --station")]
        )
    data, problems = read_toml(root / CONFIG_NAME, CONFIG_NAME)
    if problems:
        raise ConfigError(problems)
    settings, problems = validate(Settings, data, CONFIG_NAME, example=EXAMPLE)
    if settings is None:
        raise ConfigError(problems)
    config = Config(root=root, settings=settings)
    problems = []
    if not config.content_dir.is_dir():
        problems.append(
            Problem(
                CONFIG_NAME,
                f"the content folder `{settings.build.content_dir}` does not exist",
                "create it, or set [build] content_dir",
                file=CONFIG_NAME,
                key=("build", "content_dir"),
            )
        )
    art = settings.station.artwork
    if art and not (root / art).is_file():
        problems.append(
            Problem(
                CONFIG_NAME,
                f"the artwork `{art}` does not exist",
                "put the image there or fix `station.artwork`",
                file=CONFIG_NAME,
                key=("station", "artwork"),
            )
        )
    logo = settings.site.logo
    if logo and not (root / logo).is_file():
        problems.append(
            Problem(
                CONFIG_NAME,
                f"the logo `{logo}` does not exist",
                "put the image there or fix `site.logo`",
                file=CONFIG_NAME,
                key=("site", "logo"),
            )
        )
    problems += colour_problems(settings.site)
    problems += desk_language_problems(config)
    if problems:
        raise ConfigError(problems)
    return config


def desk_language_problems(config: Config) -> list[Problem]:
    """A desk language asked for by name that no desk catalogue speaks: said, not quietly English."""
    from station.i18n import LOCALE_DIR, translations
    from station.tools.locale import Translations

    wanted = config.settings.desk.language
    if wanted is None or wanted.split("-")[0] == "en":
        return []
    if isinstance(translations(wanted, "desk", (config.root / "locale",)), Translations):
        return []
    shipped = ", ".join(["en", *sorted(p.parent.parent.name for p in LOCALE_DIR.glob("*/LC_MESSAGES/desk.po"))])
    return [
        Problem(
            CONFIG_NAME,
            f"the desk has no translation into `{wanted}` (desk.language) yet",
            f"use one it has ({shipped}), or add locale/{wanted.replace('-', '_')}/LC_MESSAGES/desk.po "
            "(README: Translating the desk)",
            file=CONFIG_NAME,
            key=("desk", "language"),
        )
    ]


def colour_problems(site: SiteSettings) -> list[Problem]:
    """Each of the station's colours against what it sits on, by the WCAG 2.2 contrast ratio."""
    pairs = [
        ("ink", site.ink, site.paper, "the page (`paper`)", TEXT_CONTRAST),
        ("ink", site.ink, CARD, "the white cards", TEXT_CONTRAST),
        ("ink", site.ink, NOTE_PAPER, f"the crisis lines' background ({NOTE_PAPER})", TEXT_CONTRAST),
        ("accent", site.accent, site.paper, "the page (`paper`)", TEXT_CONTRAST),
        ("accent", site.accent, CARD, "the white cards", TEXT_CONTRAST),
        ("accent", site.accent, NOTE_PAPER, f"the crisis lines' background ({NOTE_PAPER})", TEXT_CONTRAST),
        ("accent", site.accent, NOW_PAPER, f"the transcript's current line ({NOW_PAPER})", TEXT_CONTRAST),
        ("accent_ink", site.accent_ink, site.accent, "the quick-exit button (`accent`)", TEXT_CONTRAST),
        ("paper", MUTED_INK, site.paper, f"the quieter text ({MUTED_INK})", TEXT_CONTRAST),
        ("paper", FOCUS_RING, site.paper, f"the keyboard focus ring ({FOCUS_RING})", UI_CONTRAST),
    ]
    problems: list[Problem] = []
    for key, fore, back, against, least in pairs:
        ratio = contrast(fore, back)
        if ratio < least and not any(p.key == ("site", key) for p in problems):
            value = getattr(site, key)
            problems.append(
                Problem(
                    CONFIG_NAME,
                    f'`site.{key}` = "{value}" has a contrast of {ratio:.2f}:1 with {against}, under the '
                    f"{least}:1 that WCAG 2.2 AA asks for, so some people could not read the site",
                    f"choose a {'lighter' if key == 'paper' else 'darker or lighter'} colour for `site.{key}` "
                    "(a contrast checker shows the ratio)",
                    file=CONFIG_NAME,
                    key=("site", key),
                )
            )
    return problems


def contrast(a: str, b: str) -> float:
    """The WCAG 2.2 contrast ratio of two "#rrggbb" colours, from 1 to 21."""
    light, dark = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def _luminance(colour: str) -> float:
    # WCAG 2.2's relative luminance (sRGB; its 0.04045 threshold is the sRGB standard's).
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b
