#!/usr/bin/env bash
# ./start.sh            set up .venv (when missing or stale) and serve the dashboard and the rerank API on
#                       http://localhost:8080, this machine only (dashboard at /, API at /api/rerank, /v1/rerank,
#                       /v2/rerank, /rerank)
# ./start.sh test [...] set up .venv with the test extras (and Chromium for the browser test), then run pytest [...]
# Environment: LYCHEE_MODEL=/path/or/hub-id  start on a VLM checkpoint instead of the embedded default
#              PORT=8080                     port to serve on
#              LYCHEE_HOST=127.0.0.1         address to listen on; 0.0.0.0 (or an address) exposes the server: it then
#                                            prints http://<host>:<port>/?token=<token> and requires that token (or an
#                                            OIDC sign-in, or LYCHEE_DASHBOARD_TOKEN) — README, "Running it for a team"
#              LYCHEE_API_KEY=...            require 'Authorization: Bearer ...' on every API call
#              LYCHEE_LOCK_MODEL=1           dashboard users cannot switch to another checkpoint
#              (more LYCHEE_API_* limits: see README, "HTTP API")
#              PYTHON=python3.11             interpreter used to create .venv
set -euo pipefail
cd "$(dirname "$0")"

PYTHON="${PYTHON:-python3}"
VENV=.venv
mode="${1:-run}"

hash_of() { cat "$@" | sha256sum | cut -d' ' -f1; }

ensure_venv() {
  # Installs a hashed lock (requirements.lock: the whole runtime closure; requirements-test.lock: that plus the test
  # tools), every file checked against its sha256 (--require-hashes). One stamp per lock file (the hash of its content),
  # so the venv is reinstalled when the lock changes and switching between ./start.sh and ./start.sh test reinstalls
  # nothing. requirements.txt / requirements-test.txt are the direct pins the locks are made from (README, "Dependencies").
  if [ ! -x "$VENV/bin/python" ]; then
    echo "start.sh: creating $VENV (first run installs torch etc.; a few minutes)" >&2
    "$PYTHON" -m venv "$VENV"
  fi
  local f stamp want
  for f in "$@"; do
    stamp="$VENV/.installed-$f.sha256"
    want="$(hash_of "$f")"
    if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
      echo "start.sh: installing $f into $VENV" >&2
      "$VENV/bin/python" -m pip install -q --disable-pip-version-check --require-hashes -r "$f"
      echo "$want" > "$stamp"
    fi
  done
}

ensure_project() {
  # `pip install -e .`: `lychee` and `eval` import from any folder and the console scripts (lychee-eval, lychee-runs,
  # lychee-bench) exist in $VENV/bin. Dependencies come from the requirements files above, hence --no-deps. Stamped
  # with pyproject.toml and this checkout's path, so a moved checkout is installed again.
  local stamp="$VENV/.installed-project.sha256" want
  # A venv belongs to one checkout: a .venv that links to another checkout's (a git worktree sharing it) is left
  # pointing where it points; imports from inside this checkout find its own files first anyway.
  if [ "$(cd "$VENV" && pwd -P)" != "$(pwd -P)/$VENV" ]; then
    echo "start.sh: $VENV is $(cd "$VENV" && pwd -P), another checkout's; not installing this checkout into it" >&2
    return 0
  fi
  want="$( (cat pyproject.toml; pwd) | sha256sum | cut -d' ' -f1)"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    return 0
  fi
  echo "start.sh: installing this checkout into $VENV (pip install -e .)" >&2
  local isolation=()
  # The venv's own setuptools builds it when it has one (works offline); otherwise pip fetches one.
  if "$VENV/bin/python" -c "import setuptools" >/dev/null 2>&1; then isolation=(--no-build-isolation); fi
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check --no-deps "${isolation[@]}" -e .
  echo "$want" > "$stamp"
}

ensure_chromium() {
  # Debian's chromium for the browser tests, and its Noto CJK fonts: the dashboard speaks Chinese (LYCHEE_LANG, the
  # browser's locale), and without a CJK font the browser tests and the README screenshots show boxes, not Chinese;
  # its colour emoji font draws the score bands' marks.
  local want=()
  command -v chromium >/dev/null 2>&1 || want+=(chromium)
  if command -v dpkg >/dev/null 2>&1; then
    dpkg -s fonts-noto-cjk >/dev/null 2>&1 || want+=(fonts-noto-cjk)
    # the band marks (🟢 🟡 🔴) are emoji: without a colour emoji font they are drawn as boxes
    dpkg -s fonts-noto-color-emoji >/dev/null 2>&1 || want+=(fonts-noto-color-emoji)
  elif ! (command -v fc-list >/dev/null 2>&1 && fc-list :lang=zh | grep -q .); then
    want+=(fonts-noto-cjk)
  fi
  [ "${#want[@]}" -eq 0 ] && return 0
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "start.sh: installing Debian's ${want[*]} for the browser tests" >&2
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${want[@]}" >/dev/null) \
      || echo "start.sh: could not install ${want[*]}; the browser tests will fail" >&2
  else
    echo "start.sh: ${want[*]} missing and cannot be installed (not root); the browser tests will fail" >&2
  fi
}

export HF_HUB_OFFLINE="${HF_HUB_OFFLINE:-1}" TRANSFORMERS_NO_ADVISORY_WARNINGS=1 TOKENIZERS_PARALLELISM=false

case "$mode" in
  test)
    shift
    ensure_venv requirements-test.lock
    ensure_project
    ensure_chromium
    export LYCHEE_REQUIRE_BROWSER=1
    exec "$VENV/bin/python" -m pytest "$@"
    ;;
  run|"")
    ensure_venv requirements.lock
    ensure_project
    # lychee/ui/server.py holds st.App("streamlit_app.py", routes=<the API>): dashboard and API on one port.
    exec "$VENV/bin/python" -m streamlit run lychee/ui/server.py \
      --server.address "${LYCHEE_HOST:-127.0.0.1}" --server.port "${PORT:-8080}" \
      --server.headless true --browser.gatherUsageStats false
    ;;
  *)
    echo "usage: ./start.sh [test [pytest args...]]" >&2
    exit 2
    ;;
esac
