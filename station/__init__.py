"""Peerwave: the publishing pipeline and overnight radio of a peer-led recovery station."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("peerwave-station")
except PackageNotFoundError:  # a source tree on PYTHONPATH that was never installed: still importable
    __version__ = "0+unknown"
