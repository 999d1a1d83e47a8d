#!/usr/bin/env bash
# Install what micrograd-studio and its tests need (skipping what is already there: Graphviz,
# PyTorch's CPU build, karpathy's micrograd, ...), then run it.
#
#   ./dev.sh run     install everything, then launch the app
#   ./dev.sh test    install everything, then run the whole test suite (pytest options follow)
#   ./dev.sh bench   install everything, then run the engine benchmark
#   ./dev.sh deps    only install
#   ./dev.sh install-desktop     install everything, then put micrograd-studio (with its icon)
#                                in your desktop's application menu (Linux, for you only)
#   ./dev.sh uninstall-desktop   take it out of the menu again
#
# System packages come from apt (Debian/Ubuntu), with sudo only when not root; elsewhere
# (macOS) install Graphviz yourself. Python packages go into ./.venv, at the versions pinned
# in constraints.txt. Needs Python 3.11+: PYTHON=python3.12 ./dev.sh test picks an interpreter.
set -euo pipefail
cd "$(dirname "$0")"

# Graphviz's dot draws computation graphs; Qt needs the rest on a bare system
# (fonts, or text draws as empty boxes); xvfb runs a real window on a virtual screen.
SYSTEM_PACKAGES=(
  graphviz fonts-dejavu-core
  libegl1 libgl1 libxkbcommon0 libfontconfig1 libdbus-1-3 libglib2.0-0
  libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-render-util0
  libxcb-shape0 libxcb-xkb1 libxkbcommon-x11-0 xvfb xauth
  desktop-file-utils  # checks the .desktop entry `install-desktop` writes (a test runs it)
)
PYTHON=${PYTHON:-python3}
VENV=.venv
CONSTRAINTS=constraints.txt
# PyTorch's CPU-only wheels (Linux): PyPI's Linux torch is the multi-GB CUDA build.
# Set TORCH_CPU_INDEX to a mirror of it if you have one.
TORCH_CPU_INDEX=${TORCH_CPU_INDEX:-https://download.pytorch.org/whl/cpu}

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

install_system_packages() {
  command -v apt-get >/dev/null || {
    command -v dot >/dev/null || say "no apt-get: install Graphviz yourself (macOS: brew install graphviz)"
    return
  }
  local missing=() pkg version
  if version=$(python_version); then  # Debian names the venv module after the interpreter
    "$PYTHON" -c 'import venv, ensurepip' 2>/dev/null || missing+=("python$version-venv")
  else  # only a missing default python3 gets here (see install_everything)
    missing+=(python3 python3-venv)
  fi
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

python_version() {
  "$PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null
}

# Stops with what to install, and how to point dev.sh at it, unless $PYTHON is 3.11 or newer.
require_python() {
  local version
  if ! version=$(python_version); then
    say "cannot run '$PYTHON': micrograd-studio needs Python 3.11 or newer"
  elif ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
    say "micrograd-studio needs Python 3.11 or newer; $PYTHON is Python $version"
  else
    return 0
  fi
  cat <<'HELP'
    Install one:  Debian/Ubuntu: sudo apt-get install python3.11 python3.11-venv
                  macOS: brew install python@3.12    or anywhere: pyenv install 3.12
    then run dev.sh with it, e.g.:  PYTHON=python3.12 ./dev.sh test
HELP
  exit 1
}

# A short fingerprint of the files that decide what gets installed. cksum is POSIX
# (macOS has no sha1sum).
install_fingerprint() {
  cat pyproject.toml "$CONSTRAINTS" | cksum | cut -d' ' -f1
}

# PyTorch's CPU index goes to pip (TORCH_INDEX_OPTIONS) when it answers. It is asked only on
# Linux, the one platform where PyPI's torch is the CUDA build. constraints.txt pins torch to
# 2.x.y+cpu there, a version only the CPU index (or a local wheel/mirror) has, so pip can
# never fall back to the CUDA build. An index that does not answer would make pip retry it
# for every package (about 7 s each), so a quick probe decides; without the index pip can
# still find the +cpu wheel through PIP_FIND_LINKS or a mirror (as on our CI machines).
TORCH_INDEX_OPTIONS=()
TORCH_INDEX_UNREACHABLE=false
find_torch_index() {
  [ "$(uname -s)" = Linux ] || return 0
  if "$VENV/bin/python" - "$TORCH_CPU_INDEX/torch/" <<'PROBE' 2>/dev/null; then
import ssl, sys, urllib.error, urllib.request
try:
    urllib.request.urlopen(urllib.request.Request(sys.argv[1], method="HEAD"), timeout=5)
except urllib.error.HTTPError:
    pass  # it answered
except urllib.error.URLError as error:  # answered, with a certificate pip may trust (PIP_CERT)
    sys.exit(not isinstance(error.reason, ssl.SSLError))
PROBE
    TORCH_INDEX_OPTIONS=(--extra-index-url "$TORCH_CPU_INDEX")
  else
    TORCH_INDEX_UNREACHABLE=true
    say "PyTorch's CPU index ($TORCH_CPU_INDEX) did not answer; looking for torch's +cpu build elsewhere"
  fi
}

install_python_packages() {
  local extras=$1
  [ -x "$VENV/bin/python" ] || { say "creating $VENV"; "$PYTHON" -m venv "$VENV"; }
  "$VENV/bin/python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' || {
    say "$VENV was made by a Python older than 3.11: delete it (rm -rf $VENV) and run again"
    exit 1
  }
  local stamp
  stamp="$VENV/.installed-$(install_fingerprint)-$extras"
  [ -f "$stamp" ] && return
  say "installing Python packages into $VENV ($extras), versions from $CONSTRAINTS"
  local pip=("$VENV/bin/python" -m pip install -q -c "$CONSTRAINTS")
  "${pip[@]}" --upgrade pip  # to the pinned pip, which knows --build-constraint
  find_torch_index
  if ! "${pip[@]}" --build-constraint "$CONSTRAINTS" ${TORCH_INDEX_OPTIONS[@]+"${TORCH_INDEX_OPTIONS[@]}"} -e ".[$extras]"; then
    if $TORCH_INDEX_UNREACHABLE; then
      say "pip could not install everything. The tests need PyTorch's CPU-only build, torch" \
        "$(sed -n 's/^torch==\([^ ;]*+cpu\).*/\1/p' "$CONSTRAINTS"), from $TORCH_CPU_INDEX, which did not" \
        "answer: check the network (or proxy), or name a mirror: TORCH_CPU_INDEX=https://... ./dev.sh $COMMAND"
    else
      say "pip could not install the packages above (their versions are in $CONSTRAINTS)"
    fi
    exit 1
  fi
  touch "$stamp"
}

# Everything: system packages, then the Python packages with `extras`.
install_everything() {
  # A bare Debian may lack python3, which apt installs; any other interpreter must run already,
  # and one too old stops us before apt does any work.
  if [ "$PYTHON" != python3 ] || ! command -v apt-get >/dev/null || python_version >/dev/null; then
    require_python
  fi
  install_system_packages
  require_python
  install_python_packages "$1"
}

COMMAND=${1:-}
case "$COMMAND" in
  run)
    install_everything test
    shift
    exec "$VENV/bin/micrograd-studio" "$@"
    ;;
  test)
    install_everything test
    shift
    QT_QPA_PLATFORM=${QT_QPA_PLATFORM:-offscreen} exec "$VENV/bin/python" -m pytest "$@"
    ;;
  bench)
    install_everything test,bench
    "$VENV/bin/python" benchmarks/bench_engine.py
    ;;
  deps)
    install_everything "${2:-test}"
    ;;
  install-desktop)
    install_everything test
    "$VENV/bin/python" -m gui.desktop_entry --exec "$PWD/$VENV/bin/micrograd-studio"
    ;;
  uninstall-desktop)
    # Needs only Python 3 and this checkout (the icon's file comes with it), not the installed app.
    if [ -x "$VENV/bin/python" ]; then PYTHON="$VENV/bin/python"; fi
    "$PYTHON" -m gui.desktop_entry --remove
    ;;
  *)
    sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
    ;;
esac
