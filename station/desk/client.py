"""Who sent a request: the peer, or behind the station's own proxies the address they were given.

Used by the sign-in throttle (app.py) and by listener feedback's per-address limit (feedback.py), which
keeps what it gets from here in memory only.
"""

from __future__ import annotations

import functools
import ipaddress

from flask import request

from station.desk.pages import desk

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def client_address() -> str:
    """Who sent this request: the peer, or behind a trusted proxy the last address in X-Forwarded-For
    that the station's own proxies did not add."""
    peer = request.remote_addr or ""
    trusted = _networks(tuple(desk().config.settings.desk.trusted_proxies))
    if not _within(peer, trusted):
        return peer
    client = peer
    for hop in reversed([h.strip() for h in request.headers.get("X-Forwarded-For", "").split(",") if h.strip()]):
        try:
            client = str(ipaddress.ip_address(hop))
        except ValueError:
            break  # not an address: what is left of the header is not to be believed
        if not _within(client, trusted):
            break
    return client


@functools.cache
def _networks(listed: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(n, strict=False) for n in listed)


def _within(address: str, networks: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip.version == n.version and ip in n for n in networks)
