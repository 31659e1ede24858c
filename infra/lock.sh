#!/usr/bin/env bash
# Re-pin every dependency, with hashes (pip-tools), after a change to pyproject.toml:
#   bash infra/lock.sh
# requirements.lock is what the image installs; requirements-dev.lock adds [dev] for CI.
set -euo pipefail
cd "$(dirname "$0")/.."
tools=${LOCK_TOOLS_VENV:-.venv-tools}
[ -x "$tools/bin/pip-compile" ] || { python3 -m venv "$tools" && "$tools/bin/pip" install -q "pip-tools==7.6.2"; }
options=(--quiet --generate-hashes --strip-extras --allow-unsafe --no-emit-index-url --no-emit-find-links)
"$tools/bin/pip-compile" "${options[@]}" -o requirements.lock pyproject.toml
"$tools/bin/pip-compile" "${options[@]}" --extra dev -o requirements-dev.lock pyproject.toml
