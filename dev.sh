#!/usr/bin/env bash
# Install what micrograd-studio needs (skipping what is already there), then run it.
#
#   ./dev.sh run     install everything, then launch the app
#   ./dev.sh test    install everything, then run the whole test suite
#   ./dev.sh bench   install everything (and karpathy's micrograd), then run the benchmarks
#   ./dev.sh deps    only install
#
# System packages come from apt (Debian/Ubuntu), with sudo only when not root;
# Python packages go into ./.venv. Set PYTHON=python3.12 to pick an interpreter.
set -euo pipefail
cd "$(dirname "$0")"

# Graphviz's dot draws computation graphs; Qt needs the rest on a bare system
# (fonts, or text draws as empty boxes); xvfb runs a real window on a virtual screen.
SYSTEM_PACKAGES=(
  graphviz fonts-dejavu-core
  libegl1 libgl1 libxkbcommon0 libfontconfig1 libdbus-1-3 libglib2.0-0
  libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-render-util0
  libxcb-shape0 libxcb-xkb1 libxkbcommon-x11-0 xvfb xauth
)
PYTHON=${PYTHON:-python3}
VENV=.venv

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

install_system_packages() {
  command -v apt-get >/dev/null || { say "no apt-get: install Graphviz yourself (see README)"; return; }
  local missing=() pkg
  command -v "$PYTHON" >/dev/null || missing+=(python3)
  "$PYTHON" -c 'import venv, ensurepip' 2>/dev/null || missing+=(python3-venv)
  for pkg in "${SYSTEM_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo=sudo
  say "installing system packages: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

install_python_packages() {
  local extras=$1
  "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
    || { say "micrograd-studio needs Python 3.11 or newer; set PYTHON=python3.11"; exit 1; }
  [ -x "$VENV/bin/python" ] || { say "creating $VENV"; "$PYTHON" -m venv "$VENV"; }
  local stamp
  stamp="$VENV/.installed-$(cat pyproject.toml | sha1sum | cut -c1-12)-$extras"
  [ -f "$stamp" ] && return
  say "installing Python packages into $VENV ($extras)"
  "$VENV/bin/python" -m pip install -q --upgrade pip
  "$VENV/bin/python" -m pip install -q -e ".[$extras]"
  touch "$stamp"
}

case "${1:-}" in
  run)
    install_system_packages
    install_python_packages test
    shift
    exec "$VENV/bin/micrograd-studio" "$@"
    ;;
  test)
    install_system_packages
    install_python_packages test
    shift
    QT_QPA_PLATFORM=${QT_QPA_PLATFORM:-offscreen} exec "$VENV/bin/python" -m pytest "$@"
    ;;
  bench)
    install_system_packages
    install_python_packages test,bench
    "$VENV/bin/python" benchmarks/bench_engine.py
    ;;
  deps)
    install_system_packages
    install_python_packages "${2:-test}"
    ;;
  *)
    sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
    ;;
esac
