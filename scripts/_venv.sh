# Sourced by scripts/start and scripts/test: make .venv and install Alliance into it.
# Reinstalls only when pyproject.toml changed since the last install (a stamp in .venv).
ensure_venv() {
  local extras="$1" python="${PYTHON:-python3}"
  if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    echo "error: Alliance needs Python 3.11 or newer ($python is $("$python" --version 2>&1))" >&2
    exit 1
  fi
  if [ ! -x .venv/bin/python ]; then
    echo "Creating .venv ..." >&2
    "$python" -m venv .venv
  fi
  local target="." stamp=".venv/.alliance-installed${extras:+-$extras}"
  [ -n "$extras" ] && target=".[$extras]"
  local want
  want=$(sha256sum pyproject.toml | cut -d' ' -f1)
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    echo "Installing Alliance${extras:+ with $extras tools} into .venv ..." >&2
    .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip >/dev/null
    .venv/bin/python -m pip install --quiet --disable-pip-version-check -e "$target"
    echo "$want" > "$stamp"
  fi
}
