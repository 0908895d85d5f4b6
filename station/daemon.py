"""Kept for APScheduler: jobs saved in a station's job store name `station.daemon:build_job` (and the other
two) by module path. Moving them would leave saved jobs pointing nowhere, so the names stay importable here.
The daemon itself is station.radio.daemon."""

from station.radio.daemon import assemble_job, build_job, stream_job

__all__ = ["assemble_job", "build_job", "stream_job"]
