"""The models a dashboard session may load: ``LYCHEE_MODELS`` (names → folders or URLs), the server's own model, and
anything at all for an editor.

``LYCHEE_MODELS=lychee=/models/lychee-rerank-mm,qwen3=http://gpu-1:8000`` makes the sidebar's picker offer *lychee*
and *qwen3* (a name's value may list replicas: ``pool=http://gpu-1:8000,http://gpu-2:8000``). Without it the offer
is the embedded default. The server's model (``LYCHEE_MODEL``) is always offered. A free checkpoint folder, hub id or
URL is an editor's choice only: :func:`check_may_load` is where the dashboard's loading refuses it for a viewer.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from lychee.roles import Actor, require_editor
from lychee.scorers import DEFAULT_MODEL
from lychee.scorers.lexical import BM25_MODEL

MODELS_ENV = "LYCHEE_MODELS"
#: The offer's entry for the server's model when LYCHEE_MODELS does not list it.
SERVER_ENTRY = "server model"
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,39}")


def parse_models(value: str) -> dict[str, str]:
    """``{name: model}`` of a ``LYCHEE_MODELS`` value (``name=model`` pairs, comma-separated; a part without a
    ``name=`` continues the previous model's replica list).

    Raises:
        ValueError: a malformed entry, a repeated name or an empty model (the message names it).
    """
    models: dict[str, list[str]] = {}
    last: str | None = None
    for part in (p.strip() for p in value.split(",")):
        if not part:
            continue
        name, sep, model = part.partition("=")
        if sep and _NAME.fullmatch(name.strip()):
            name = name.strip()
            if name in models:
                raise ValueError(f"{MODELS_ENV}: the name {name!r} is given twice; give each model one name.")
            models[name], last = [model.strip()], name
        elif last is not None and "://" in part:
            models[last].append(part)  # another replica of the previous model
        else:
            raise ValueError(
                f"{MODELS_ENV}: {part!r} is not 'name=folder-or-URL'; expected e.g. "
                "'lychee=/models/lychee-rerank-mm,qwen3=http://gpu-1:8000' (names: letters, digits, '_', '.', '-')."
            )
    empty = [n for n, parts in models.items() if not parts[0]]
    if empty:
        raise ValueError(f"{MODELS_ENV}: {empty[0]!r} names no model; expected '{empty[0]}=/path/or/URL'.")
    return {name: ",".join(parts) for name, parts in models.items()}


@dataclass(frozen=True)
class Catalog:
    """What the picker offers.

    Attributes:
        listed: ``LYCHEE_MODELS``' entries (empty when unset).
        server_model: ``LYCHEE_MODEL`` (``"default"`` when unset).
    """

    listed: dict[str, str] = field(default_factory=dict)
    server_model: str = DEFAULT_MODEL

    @property
    def offered(self) -> dict[str, str]:
        """``{name: model}``: the listed models (else the embedded default), plus the server's model, plus BM25 (it
        loads no weights: the lexical ranking any language can be read against)."""
        offer = dict(self.listed) if self.listed else {DEFAULT_MODEL: DEFAULT_MODEL}
        if self.server_model not in offer.values():
            offer[SERVER_ENTRY] = self.server_model
        if BM25_MODEL not in offer.values():
            offer[BM25_MODEL] = BM25_MODEL
        return offer

    def allows(self, model: str) -> bool:
        """Whether ``model`` is one the server offers to everyone."""
        return model.strip() in self.offered.values()

    def name_of(self, model: str) -> str | None:
        """The offer's name of ``model``, or ``None`` when it is not offered."""
        return next((name for name, m in self.offered.items() if m == model.strip()), None)


def catalog_from_env(env: Mapping[str, str] | None = None) -> Catalog:
    """The catalog of ``env`` (``os.environ`` by default).

    Raises:
        ValueError: ``LYCHEE_MODELS`` is malformed.
    """
    env = os.environ if env is None else env
    server = env.get("LYCHEE_MODEL", "").strip() or DEFAULT_MODEL
    return Catalog(listed=parse_models(env.get(MODELS_ENV, "")), server_model=server)


def check_may_load(model: str, actor: Actor | None, catalog: Catalog | None = None) -> None:
    """Refuse to load ``model`` for ``actor`` unless it is offered to everyone or ``actor`` is an editor.

    Raises:
        PermissionDeniedError: a viewer (or nobody signed in) asked for a model outside the offer.
    """
    catalog = catalog_from_env() if catalog is None else catalog
    if catalog.allows(model):
        return
    require_editor(
        actor,  # type: ignore[arg-type]  # None: nobody signed in, refused with the same message
        f"load models this server does not offer ({', '.join(catalog.offered)}; {MODELS_ENV}), such as {model!r}",
    )


__all__ = ["MODELS_ENV", "SERVER_ENTRY", "Catalog", "catalog_from_env", "check_may_load", "parse_models"]
