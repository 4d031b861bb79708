"""The server's model and deployment switches, read from the environment (one home for each variable).

``LYCHEE_MODEL``       the model the server serves and new dashboard sessions start on (``"default"`` when unset)
``LYCHEE_DEVICE``      ``auto`` (default), ``cpu`` or ``cuda``
``LYCHEE_DTYPE``       ``auto`` (default), ``bfloat16``, ``float16`` or ``float32``
``LYCHEE_LOCK_MODEL``  ``1``: the dashboard offers no free checkpoint field; everyone uses the server's model
"""

from __future__ import annotations

import logging
import os

from lychee.scorers import BM25_MODEL, DEFAULT_MODEL
from lychee.scorers.remote import is_remote
from lychee.serving.loader import ModelKey

logger = logging.getLogger(__name__)

DEVICES = ("auto", "cpu", "cuda")
DTYPES = ("auto", "bfloat16", "float16", "float32")


def server_model() -> str:
    """``LYCHEE_MODEL``, or ``"default"`` (the embedded all-MiniLM-L6-v2) when unset or blank."""
    return os.environ.get("LYCHEE_MODEL", "").strip() or DEFAULT_MODEL


def env_choice(name: str, choices: tuple[str, ...]) -> str:
    """The value of environment variable ``name`` when it is one of ``choices``, else ``"auto"`` (logged)."""
    value = os.environ.get(name, "").strip() or "auto"
    if value not in choices:
        logger.warning("%s=%r is not one of %s; using auto.", name, value, list(choices))
        return "auto"
    return value


def loader_key(model: str, device: str | None, dtype: str | None) -> ModelKey:
    """The loader's key for a model choice, the one rule the server and the dashboard's sessions share (so both find
    the same loaded model): ``"auto"`` device / dtype is ``None``; a remote model's are ``None`` (its server chose)."""
    model = model.strip()
    if is_remote(model) or model == BM25_MODEL:  # a served model runs where its server put it; BM25 has no weights
        return (model, None, None)
    return (model, None if device in (None, "auto") else device, None if dtype in (None, "auto") else dtype)


def server_model_key() -> ModelKey:
    """The ``(model, device, dtype)`` the server serves: what new dashboard sessions start on, too.

    A remote model (``LYCHEE_MODEL`` a URL) runs where its server put it: LYCHEE_DEVICE / LYCHEE_DTYPE do not apply
    (said in the log when set).
    """
    model = server_model()
    device = env_choice("LYCHEE_DEVICE", DEVICES)
    dtype = env_choice("LYCHEE_DTYPE", DTYPES)
    if is_remote(model) and (device, dtype) != ("auto", "auto"):
        logger.warning(
            "LYCHEE_MODEL=%s is a remote model: LYCHEE_DEVICE=%s / LYCHEE_DTYPE=%s do not apply (its server chose them).",
            model,
            device,
            dtype,
        )
    return loader_key(model, device, dtype)


#: The file ``./start.sh`` serves (dashboard + API on one port), relative to the repository root.
SERVER_SCRIPT = "lychee/ui/server.py"


#: The address ``./start.sh`` listens on unless ``LYCHEE_HOST`` says otherwise: this machine only.
DEFAULT_HOST = "127.0.0.1"


def server_command(python: str, port: int, host: str = DEFAULT_HOST) -> list[str]:
    """The command line that serves the dashboard and the API on ``host:port`` (what ``./start.sh`` runs), from the
    repository root."""
    return [
        python,
        "-m",
        "streamlit",
        "run",
        SERVER_SCRIPT,
        "--server.address",
        host,
        "--server.port",
        str(port),
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
    ]


def model_locked() -> bool:
    """``LYCHEE_LOCK_MODEL=1``: the dashboard serves only the server's model (no free checkpoint-path field)."""
    return os.environ.get("LYCHEE_LOCK_MODEL", "").strip() == "1"


__all__ = [
    "loader_key",
    "DEFAULT_HOST",
    "DEVICES",
    "DTYPES",
    "SERVER_SCRIPT",
    "env_choice",
    "model_locked",
    "server_command",
    "server_model",
    "server_model_key",
]
