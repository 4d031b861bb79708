"""docs/ci.md stays true: its GitHub Actions workflow is valid YAML with a nightly schedule, its cron line has five
valid schedule fields, and every ``python -m eval`` / ``eval.parity`` / ``eval.runs`` command on the page parses with
the options those command lines accept (argparse exits 2 on an unknown or malformed option)."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
import yaml

from eval.__main__ import build_parser as eval_parser
from eval.parity.__main__ import build_parser as parity_parser
from eval.runs import build_parser as runs_parser

DOC = Path(__file__).resolve().parents[3] / "docs" / "ci.md"
PARSERS = {"eval": eval_parser, "eval.parity": parity_parser, "eval.runs": runs_parser}


def blocks(language: str) -> list[str]:
    """The fenced code blocks of docs/ci.md in ``language`` ("" for a block without one)."""
    found, current, lang = [], None, None
    for line in DOC.read_text(encoding="utf-8").splitlines(keepends=True):
        if line.startswith("```") and current is None:
            current, lang = [], line[3:].strip()
        elif line.startswith("```"):
            if lang == language:
                found.append("".join(current))
            current = None
        elif current is not None:
            current.append(line)
    return found


def commands(text: str) -> list[list[str]]:
    """Every ``python -m eval...`` command in ``text``, one per logical line (backslash continuations joined): the
    module and its arguments, up to a redirection, ``||`` or a comment."""
    found = []
    for line in text.replace("\\\n", " ").splitlines():
        match = re.search(r"python -m (eval(?:\.parity|\.runs)?)\s+(.*)", line)
        if match:
            args = re.split(r"\s(?:>>|\|\|)\s", match.group(2))[0]
            found.append([match.group(1), *shlex.split(args, comments=True)])
    return found


def workflow() -> dict:
    (text,) = blocks("yaml")
    return yaml.safe_load(text)


def test_the_workflow_is_valid_yaml_scheduled_nightly():
    flow = workflow()
    triggers = flow.get("on", flow.get(True))  # YAML 1.1 reads a bare `on` key as true
    assert triggers["schedule"] == [{"cron": "17 2 * * *"}]
    steps = flow["jobs"]["gate"]["steps"]
    runs = " ".join(step.get("run", "") for step in steps)
    assert "--gate last-pass" in runs and "--fresh" in runs and "eval.parity" in runs
    kept = [s for s in steps if s.get("uses", "").startswith("actions/upload-artifact")]
    assert kept and kept[0]["if"] == "always()"  # the reports survive a failed gate


def test_the_cron_line_has_five_schedule_fields_and_gates_last_pass():
    (text,) = blocks("")
    (line,) = [entry for entry in text.splitlines() if entry.strip()]
    fields = line.split(None, 5)
    assert all(re.fullmatch(r"[\d*/,-]+", f) for f in fields[:5]), fields[:5]
    assert fields[:5] == ["17", "2", "*", "*", "*"]
    (command,) = commands(fields[5])
    assert command[0] == "eval" and "last-pass" in command and "--fresh" in command


def _every_command() -> list[list[str]]:
    steps = [step.get("run", "") for step in workflow()["jobs"]["gate"]["steps"]]
    found = [c for run in steps for c in commands(run)]
    found += [c for text in blocks("") + blocks("bash") for c in commands(text)]
    return found


def test_the_page_has_the_commands_it_talks_about():
    modules = [c[0] for c in _every_command()]
    assert modules.count("eval") >= 4 and "eval.parity" in modules and "eval.runs" in modules


@pytest.mark.parametrize("command", _every_command(), ids=lambda c: " ".join(c)[:60])
def test_every_command_on_the_page_parses(command):
    module, *args = command
    PARSERS[module]().parse_args(args)  # SystemExit(2) on an option the CLI does not take
