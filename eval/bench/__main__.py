"""``python -m eval.bench``: the benchmark's command line (see :mod:`eval.bench.timings`)."""

from __future__ import annotations

import sys

from eval.bench.timings import main

if __name__ == "__main__":
    sys.exit(main())
