"""What the app keeps between requests: its settings, its engine and the served dataset.

``create_app`` puts one :class:`EndpointState` in ``app.extensions["caonto"]``; every
blueprint reads it through :func:`state`.
"""

from dataclasses import dataclass, field
from pathlib import Path

from flask import current_app

from caonto.config import Settings
from caonto.contrib.auth import Tokens
from caonto.dumps import Dumps
from caonto.engine.interface import Engine
from caonto.web.fairness import ClientSlots


@dataclass(frozen=True)
class ServedDataset:
    nquads: Path
    version: str
    sha256: str


@dataclass
class EndpointState:
    settings: Settings
    engine: Engine
    dataset: ServedDataset
    tokens: Tokens  # who may write
    client_slots: ClientSlots  # how many queries each client may run at once
    dumps: Dumps  # the dataset's dumps, written at build or in the background at start
    cache: dict = field(default_factory=dict)  # values computed once per dataset version


def state() -> EndpointState:
    return current_app.extensions["caonto"]
