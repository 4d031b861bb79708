"""Schemathesis against the real server (``./start.sh``), from the server's own ``/openapi.json``: every request it
generates — valid ones and deliberately invalid ones (negative mode), on every documented operation — gets an
answer with a documented status code (2xx/4xx, never a 5xx), the documented content type and a body that matches the
documented schema. The count of requests and of 5xx answers is written to ``artifacts/schemathesis.json``.

The two servers of ``conftest.py`` are fuzzed: the embedded default (text only) and the tiny VLM (images decoded,
with ``LYCHEE_API_KEY``).
"""

from __future__ import annotations

import json
from collections import Counter

import pytest
import schemathesis
from apihelpers import AUTH
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.servers import ROOT

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
EXAMPLES = 60  # per operation and server
STATUSES: Counter[tuple[str, int]] = Counter()


FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)


def fuzz(base_url: str, name: str, headers: dict[str, str] | None = None) -> None:
    """Every documented operation of ``base_url``'s description, ``EXAMPLES`` cases each (valid ones, and for a POST
    also invalid ones).

    (Schemathesis' own pytest plugin does not run under pytest 9 yet, so the cases are drawn with Hypothesis here.)
    """
    schema = schemathesis.openapi.from_url(base_url + "/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    labels = {op.label for op in operations}
    assert labels >= {"POST /api/rerank", "POST /v1/rerank", "POST /rerank", "POST /v2/rerank", "GET /api/health",
                      "GET /api/model", "GET /docs"}, labels
    for operation in operations:
        # a GET has nothing to make invalid: negative cases are drawn for the bodies of the POSTs
        modes = [GenerationMode.POSITIVE] + ([GenerationMode.NEGATIVE] if operation.method.upper() == "POST" else [])
        for mode in modes:

            @FUZZ
            @given(case=operation.as_strategy(generation_mode=mode))
            def check(case) -> None:
                response = case.call_and_validate(base_url=base_url, checks=CHECKS, headers=headers, timeout=120)
                STATUSES[name, response.status_code] += 1

            check()


def test_default_server_answers_every_generated_request_as_documented(server):
    fuzz(server, "default")


def test_vlm_server_answers_every_generated_request_as_documented(vlm_server):
    fuzz(vlm_server, "vlm", headers=AUTH)


def test_record_the_request_count():
    if not STATUSES:
        pytest.skip("the fuzzing tests did not run (deselected)")
    server_errors = sum(n for (_, status), n in STATUSES.items() if status >= 500)
    report = {
        "requests": sum(STATUSES.values()),
        "server_errors": server_errors,
        "by_server_and_status": {f"{server} {status}": n for (server, status), n in sorted(STATUSES.items())},
        "examples_per_operation": EXAMPLES,
        "schemathesis": schemathesis.SCHEMATHESIS_VERSION,
    }
    (ROOT / "artifacts").mkdir(exist_ok=True)
    (ROOT / "artifacts" / "schemathesis.json").write_text(json.dumps(report, indent=2))
    assert server_errors == 0, report
