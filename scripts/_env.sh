# Shared by scripts/demo and scripts/test: find Python 3.11, create .venv, install the
# pinned set (constraints.txt) so every machine runs the same versions.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

die() { echo "nentang: $*" >&2; exit 1; }

find_python() {
  for candidate in "${PYTHON:-}" python3.11 python3; do
    [ -n "$candidate" ] || continue
    if command -v "$candidate" >/dev/null 2>&1 &&
       "$candidate" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else 1)' 2>/dev/null; then
      echo "$candidate"; return 0
    fi
  done
  return 1
}

ensure_venv() {
  local extras="$1"
  local python
  python="$(find_python)" || die "Python 3.11 is required (set PYTHON=/path/to/python3.11)."
  if [ ! -x .venv/bin/python ]; then
    "$python" -m venv .venv || die "could not create .venv; on Debian install python3.11-venv."
  fi
  local stamp=".venv/.installed-$extras-$(cat pyproject.toml constraints.txt | sha256sum | cut -c1-16)"
  if [ ! -f "$stamp" ]; then
    echo "nentang: installing dependencies into .venv ..." >&2
    .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip \
      2> >(grep -v "^WARNING: Location 'file:" >&2) >/dev/null
    # (This machine's pip config names optional local indexes; their absence is noise.)
    .venv/bin/python -m pip install --quiet --disable-pip-version-check \
      -c constraints.txt -e ".$extras" 2> >(grep -v "^WARNING: Location 'file:" >&2) \
      || die "dependency installation failed."
    rm -f ".venv/.installed-$extras-"* && touch "$stamp"
  fi
  export PATH="$ROOT/.venv/bin:$PATH"
}
