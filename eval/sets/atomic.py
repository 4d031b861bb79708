"""Writing a file so that another process (or a crash) never sees it half written.

Every file the evaluation leaves behind goes through :func:`write_atomically`: the outputs and the partial file's
header (:mod:`eval.engine.outputs`, :mod:`eval.engine.resume`) and saved sets and their images
(:mod:`eval.history.labelling`). It lives in ``sets``, the lowest package both of those may import.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")


def write_atomically(path: Path, data: bytes | str, *, check: Callable[[Path], T] | None = None) -> T | None:
    """Write ``data`` (``str`` as UTF-8) to ``path`` so readers see the old file or the new one, never half of it.

    The bytes go to a hidden temporary file beside ``path``, are flushed and fsync-ed, and the file is renamed over
    ``path``. ``check`` (e.g. reloading the file) runs on the temporary file before the rename; if it raises, or the
    write fails, ``path`` is left as it was and the temporary file is removed. Returns what ``check`` returned.
    """
    raw = data.encode("utf-8") if isinstance(data, str) else data
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as fh:
            fh.write(raw)
            fh.flush()
            os.fsync(fh.fileno())
        checked = check(tmp) if check is not None else None
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return checked


__all__ = ["write_atomically"]
