# Shared by scripts/demo, scripts/test and scripts/lock: find Python 3.11, create .venv,
# install exactly the locked set (requirements/*.lock, every file's hash checked), so a
# fresh machine runs what CI tested. ./scripts/lock regenerates the locks.
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
  local lock=requirements/runtime.lock
  [ "$extras" = "[dev]" ] && lock=requirements/dev.lock
  [ -f "$lock" ] || die "$lock is missing; run ./scripts/lock."
  local stamp=".venv/.installed-$extras-$(cat pyproject.toml "$lock" requirements/uv.lock | sha256sum | cut -c1-16)"
  if [ ! -f "$stamp" ]; then
    echo "nentang: installing dependencies into .venv ..." >&2
    # uv installs the lock (about a fortieth of pip's CPU: ~1.5 s against ~60 s for the
    # dev set); it comes itself from a hash-locked file. The lock holds pip, setuptools
    # and wheel too: nothing unhashed is ever fetched, and the project itself installs
    # without build isolation, from the locked backend. pip does it all where uv has no
    # build for the platform.
    local installer=(.venv/bin/python -m pip install --quiet --disable-pip-version-check)
    if "${installer[@]}" --require-hashes --no-deps -r requirements/uv.lock \
         2> >(grep -v "^WARNING: Location 'file:" >&2) && [ -x .venv/bin/uv ]; then
      installer=(.venv/bin/uv pip install --quiet --python .venv/bin/python)
    fi
    "${installer[@]}" --require-hashes --no-deps -r "$lock" \
      2> >(grep -v "^WARNING: Location 'file:" >&2) \
      || die "installing $lock failed (a hash that does not match means a changed file)."
    "${installer[@]}" --no-deps --no-build-isolation -e . \
      2> >(grep -v "^WARNING: Location 'file:" >&2) \
      || die "installing nentang itself failed."
    rm -f ".venv/.installed-$extras-"* && touch "$stamp"
  fi
  export PATH="$ROOT/.venv/bin:$PATH"
}
