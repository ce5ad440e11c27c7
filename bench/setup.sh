#!/usr/bin/env bash
# Install the peers the benchmark compares against into bench/.peers/ (git-ignored), never globally:
#   npm: oauth2-mock-server, oidc-provider     pip (own venv): oidc-provider-mock
# and the compiled load generator the bench uses beside its Python driver: wrk (Debian).
# Idempotent; re-run to pick up newer versions (BENCH_UPGRADE=1).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
peers="$here/.peers"
mkdir -p "$peers"
cd "$peers"
[ -f package.json ] || printf '{ "name": "mock-bankid-bench-peers", "private": true, "type": "module" }\n' > package.json
if [ ! -d node_modules/oauth2-mock-server ] || [ ! -d node_modules/oidc-provider ] || [ "${BENCH_UPGRADE:-}" = 1 ]; then
  npm install --no-audit --no-fund --loglevel=error oauth2-mock-server oidc-provider
fi
py="${PYTHON:-python3}"
if [ ! -x venv/bin/python ]; then
  # oidc-provider-mock needs Python >= 3.12; use one if this machine has it, else try the default.
  # (pyenv shims exist for versions that are not selected, so try each one for real.)
  for cand in python3.13 python3.12 "$HOME"/.pyenv/versions/3.1[23]*/bin/python3 "$py"; do
    if "$cand" -c 'import sys; assert sys.version_info >= (3, 12)' 2>/dev/null; then
      "$cand" -m venv venv && break
    fi
  done
  [ -x venv/bin/python ] || "$py" -m venv venv
fi
if ! venv/bin/python -c 'import oidc_provider_mock' 2>/dev/null || [ "${BENCH_UPGRADE:-}" = 1 ]; then
  venv/bin/python -m pip install -q --upgrade pip
  venv/bin/python -m pip install -q --upgrade oidc-provider-mock
fi
if ! command -v wrk >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk >/dev/null \
      || { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk >/dev/null; }
  else
    echo "wrk is not installed and this is not root: apt-get install wrk (the wrk rows are skipped without it)" >&2
  fi
fi
echo "peers installed in $peers; wrk: $(command -v wrk || echo missing)"
