#!/usr/bin/env bash
# Build (or reuse) the cached foreign-client virtual environments the interop tests drive.
#
#   scripts/interop_env.sh qrisp-0.8.2   # last Qrisp with the REST BackendServer/BackendClient (flask<2.3)
#   scripts/interop_env.sh qrisp-0.9     # latest Qrisp 0.9.x (Backend/Job API) + requests for our adapter
#   scripts/interop_env.sh mcp-0.6.2     # IBM's MCP server (a stock QiskitRuntimeService) + the mcp SDK client
#   scripts/interop_env.sh qrisp-0.9-tests   # qrisp-0.9 + pytest, to run Qrisp's own interface tests
#   scripts/interop_env.sh all
#
# Venvs live under <repo>/.cache/venvs/<name> (ignored by git). A finished venv carries a marker file
# `.qhost-ready` holding its requirements; an interrupted build, or one made for other requirements, is
# thrown away and rebuilt. Prints the venv's python path per name. Requirements are exact versions (what
# resolved on 2026-12-08), so a fresh build gets what the tests were written against; bump them on purpose.
# Environment: QHOST_INTEROP_PYTHON picks the base interpreter (default: python3.11, then python3).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${QHOST_VENV_CACHE:-$ROOT/.cache/venvs}"
BASE_PY="${QHOST_INTEROP_PYTHON:-$(command -v python3.11 || command -v python3)}"

requirements() {
  case "$1" in
    qrisp-0.8.2) echo "qrisp==0.8.2 qiskit==2.6.2 qiskit-aer==0.18.2" ;;  # Aer: the benchmark's Qrisp server runs what ours runs
    qrisp-0.9) echo "qrisp==0.9.10 qiskit==2.5.2 requests==2.34.2" ;;
    mcp-0.6.2) echo "qiskit-ibm-runtime-mcp-server==0.6.2 qiskit-mcp-server==0.3.2 mcp==1.30.0 fastmcp==3.4.11 qiskit-ibm-runtime==0.51.0 qiskit==2.6.2" ;;
    qrisp-0.9-tests) echo "qrisp==0.9.10 qiskit==2.5.2 requests==2.34.2 pytest==9.2.0" ;;
    *) echo "unknown environment '$1'; valid: qrisp-0.8.2, qrisp-0.9, qrisp-0.9-tests, mcp-0.6.2, all" >&2; exit 2 ;;
  esac
}

build() {
  local name="$1" dir="$CACHE/$1"
  local reqs
  reqs="$(requirements "$name")"
  if [[ -f "$dir/.qhost-ready" && "$(cat "$dir/.qhost-ready")" == "$reqs" ]]; then
    echo "$dir/bin/python"
    return
  fi
  rm -rf "$dir"
  mkdir -p "$CACHE"
  "$BASE_PY" -m venv "$dir" >&2
  # shellcheck disable=SC2086
  "$dir/bin/python" -m pip install --quiet $reqs >&2
  echo "$reqs" > "$dir/.qhost-ready"
  echo "$dir/bin/python"
}

if [[ $# -ne 1 ]]; then
  echo "usage: $0 qrisp-0.8.2|qrisp-0.9|qrisp-0.9-tests|mcp-0.6.2|all" >&2
  exit 2
fi
if [[ "$1" == "all" ]]; then
  build qrisp-0.8.2
  build qrisp-0.9
  build mcp-0.6.2
else
  build "$1"
fi
