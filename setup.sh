#!/usr/bin/env bash
# Set up zeroplay in ./.venv:  ./setup.sh        (the package with training: torch CPU build, transformers)
#                              ./setup.sh --dev  (also the test tools, the trackers and, as root on Debian,
#                                                 chromium, Lua and Coq)
#                              ./setup.sh --bench (also the peers the benchmarks compare against)
#                              ./setup.sh --languages (as root on Debian: the toolchains of the sandbox's
#                                                 languages, Lua, OCaml, Fortran, R, and Coq)
# The options combine (./setup.sh --dev --languages).
# Fails loudly (non-zero exit, a line saying which step) on any failed step.
set -euo pipefail
cd "$(dirname "$0")"

extras="train"
dev=0
languages=0
for arg in "$@"; do
  case "$arg" in
    --dev) extras="$extras,dev"; dev=1 ;;
    --bench) extras="$extras,bench" ;;
    --languages) languages=1 ;;
    *) echo "setup.sh: unknown option $arg (use --dev, --bench and/or --languages)" >&2; exit 2 ;;
  esac
done

step() { echo "==> $*"; }
fail() { echo "setup.sh: FAILED at step: $*" >&2; exit 1; }

# apt_install PKG NOTE: as root on Debian/Ubuntu, apt-get PKG; elsewhere print NOTE (what is lost without it).
apt_install() {
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    step "installing $1 (apt-get)"
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$1"; } >/dev/null \
      || fail "apt-get install $1"
  else
    echo "setup.sh: note: $1 is not installed and this user cannot apt-get it; $2." \
         "Install it with: sudo apt-get install $1" >&2
  fi
}

# 1. bubblewrap gives the sandbox its namespace backend; without it the sandbox falls back (and says so).
command -v bwrap >/dev/null 2>&1 || apt_install bubblewrap "the sandbox will use its weaker fallback"
# 1a. libfaketime runs the clocks of the code tasks' determinism reruns ahead, so a task whose output
#     follows a clock (today's weekday) is caught whatever module it reads the clock through.
ls /usr/lib/*/faketime/libfaketime.so.1 >/dev/null 2>&1 \
  || apt_install faketime "the determinism reruns will read the host's clock (the static policy still refuses clocks)"

# 1b. --dev: Debian's chromium renders the run report in a test (tests/training/test_report.py; ~1 min
#     to install, skipped with a reason where it is missing).
if [ "$dev" = 1 ] && ! command -v chromium >/dev/null 2>&1; then
  apt_install chromium "the report's rendering test will be skipped"
fi

# 1c. Toolchains of the sandbox's languages (zeroplay/sandbox/languages/*.yaml) and Coq (the proof
#     checker): --dev installs Lua, Coq and gcc (small; CI's tests use them), --languages all of them. The
#     tests of a language whose toolchain is missing skip, naming the package to install.
toolchains=()  # COMMAND:DEBIAN-PACKAGE
if [ "$languages" = 1 ]; then
  toolchains=("lua5.4:lua5.4" "ocamlopt:ocaml-nox" "gfortran:gfortran" "R:r-base-core" "coqc:coq")
elif [ "$dev" = 1 ]; then
  toolchains=("lua5.4:lua5.4" "coqc:coq" "gcc:gcc")  # gcc: the confinement tests compile C
fi
for pair in ${toolchains[@]+"${toolchains[@]}"}; do
  command -v "${pair%%:*}" >/dev/null 2>&1 || apt_install "${pair#*:}" "the tests that need it will be skipped"
done

PY="${PYTHON:-python3}"
"$PY" -c 'import sys; sys.exit(sys.version_info < (3, 10))' || fail "Python >= 3.10 is required (set PYTHON=...)"

# 2. The virtual environment.
if [ ! -x .venv/bin/python ]; then
  step "creating .venv"
  "$PY" -m venv .venv || fail "python -m venv .venv"
fi
pip() { .venv/bin/python -m pip --disable-pip-version-check "$@"; }

# 3. torch first, pinned: any looser request pulls a multi-GB CUDA build on a CPU machine.
if ! .venv/bin/python -c 'import torch' >/dev/null 2>&1; then
  step "installing torch==2.13.0 (CPU build)"
  pip install -q "torch==2.13.0" || fail "pip install torch==2.13.0"
fi

# 4. zeroplay itself, editable, with the extras asked for.
step "installing zeroplay[$extras]"
pip install -q -e ".[$extras]" || fail "pip install -e .[$extras]"
.venv/bin/python -c 'import zeroplay, torch, transformers' || fail "import check"
step "ready: .venv/bin/zeroplay"
