"""Home's line about a remote model, in both languages: counts take their plural forms."""

from __future__ import annotations

import pytest

from lychee.contract import ModelInfo
from lychee.ui.i18n import language_scope
from lychee.ui.shell.remote_picker import describe


def _info(concurrency: int, batch_size: int) -> ModelInfo:
    return ModelInfo(
        name="http://gpu-1:8000",
        family="remote",
        batch_size=batch_size,
        details={
            "protocol": "rerank",
            "endpoints": ["http://gpu-1:8000"],
            "remote_model": "lychee-rerank-mm",
            "remote_family": "lychee",
            "max_concurrency": concurrency,
        },
    )


@pytest.mark.parametrize(
    ("concurrency", "batch_size", "english"),
    [
        (1, 1, "up to 1 request in flight per endpoint, 1 document per request."),
        (4, 32, "up to 4 requests in flight per endpoint, 32 documents per request."),
    ],
)
def test_the_remote_line_counts_in_both_languages(concurrency, batch_size, english):
    with language_scope("en"):
        line = describe(_info(concurrency, batch_size))
    assert line.startswith("Remote model over the `rerank` protocol at `http://gpu-1:8000`: the server serves")
    assert line.endswith(english)
    with language_scope("zh"):
        line = describe(_info(concurrency, batch_size))
    assert line.endswith(f"每个端点最多 {concurrency} 个并发请求，每个请求 {batch_size} 个文档。")


def test_a_local_model_has_no_remote_line():
    assert describe(ModelInfo(name="default", family="embedding")) is None
