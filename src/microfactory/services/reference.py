"""A per-process cache of the network, catalog and active webhook subscriptions, refreshed when
the store's version moves.

Loading the network and catalog (and building the domain objects) costs far more than an
order insert; intake checks one version number per request instead and rebuilds only after
a change (a scenario load, a catalog upload, a site status change, a webhook subscription or
unsubscription: each bumps the version in the same transaction)."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from microfactory.domain.catalog import Catalog
from microfactory.domain.network import Network


@dataclass(frozen=True)
class Reference:
    network: Network
    catalog: Catalog
    subscriptions: list[Any]  # active webhook subscriptions (id, events, brand_id), for the outbox


class ReferenceCache:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._version = -1
        self._value: Reference | None = None

    def load(self, uow: Any) -> Reference:
        """The reference data as of this unit of work's reading of the version (one query when cached)."""
        version = uow.network.version()
        with self._lock:
            if self._value is not None and version == self._version:
                return self._value
        network = uow.network.load()
        value = Reference(network, uow.catalog.load(network), uow.webhooks.active())
        with self._lock:
            self._version, self._value = version, value
        return value

    def peek(self) -> tuple[int, Reference] | None:
        """The cached reference data and the version it was loaded at, without asking the store
        (None before the first load). A write that uses it must check the version as it writes
        (``SqlUnitOfWork.send_batch(reference_version=...)``)."""
        with self._lock:
            return (self._version, self._value) if self._value is not None else None

    def get(self, uow: Any) -> tuple[Network, Catalog]:
        ref = self.load(uow)
        return ref.network, ref.catalog
