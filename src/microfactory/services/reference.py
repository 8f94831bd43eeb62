"""A per-process cache of the network and catalog, refreshed when the store's version moves.

Loading the network and catalog (and building the domain objects) costs far more than an
order insert; intake checks one version number per request instead and rebuilds only after
a change (a scenario load, a catalog upload, a site status change)."""

from __future__ import annotations

import threading
from typing import Any

from microfactory.domain.catalog import Catalog
from microfactory.domain.network import Network


class ReferenceCache:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._version = -1
        self._value: tuple[Network, Catalog] | None = None

    def get(self, uow: Any) -> tuple[Network, Catalog]:
        version = uow.network.version()
        with self._lock:
            if self._value is not None and version == self._version:
                return self._value
        network = uow.network.load()
        catalog = uow.catalog.load(network)
        with self._lock:
            self._version, self._value = version, (network, catalog)
        return network, catalog
