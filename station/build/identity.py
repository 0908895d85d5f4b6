"""An episode's slug and GUID: made once, from its first build on, and kept in the station's records.

The GUID never changes (a podcast app would list the episode twice); the slug
follows the title until the episode is first published, and an explicit
`slug:` in its sidecar always wins.
"""

from __future__ import annotations

import uuid

from station.catalog.model import Episode, slugify
from station.config import Config
from station.records import Identity, Records


def guid_namespace(config: Config) -> uuid.UUID:
    return uuid.uuid5(uuid.NAMESPACE_URL, config.settings.station.base_url)


def identity_of(records: Records, episode: Episode, sha: str, present_keys: set[str], namespace: uuid.UUID) -> Identity:
    wanted = episode.meta.slug or slugify(episode.meta.title)
    identity = records.identity(episode.key, episode.show.slug, sha, wanted, present_keys, namespace)
    if episode.meta.slug and identity.slug != episode.meta.slug:  # an explicit slug always wins
        records.set_slug(episode.key, episode.meta.slug)
        identity = type(identity)(episode.meta.slug, identity.guid)
    return identity
