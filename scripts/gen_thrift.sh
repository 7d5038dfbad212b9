#!/usr/bin/env bash
# Regenerate src/qhost/protocols/thrift_gen/ from src/qhost/protocols/qhost.thrift with the Apache Thrift compiler.
#
#   scripts/gen_thrift.sh            regenerate in place
#   scripts/gen_thrift.sh OUT_DIR    write the generated package to OUT_DIR instead (tests diff it)
#
# Needs the `thrift` compiler (Debian/Ubuntu: apt-get install -y thrift-compiler; the committed code was
# generated with Thrift 0.17.0). The -remote helper script is not kept: it is not importable and unused.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
idl="$root/src/qhost/protocols/qhost.thrift"
dest="${1:-$root/src/qhost/protocols/thrift_gen}"
command -v thrift >/dev/null || { echo "thrift compiler not found; apt-get install -y thrift-compiler" >&2; exit 127; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
thrift --gen py -out "$work" "$idl"
rm -f "$work"/qhost/protocols/thrift_gen/*-remote
rm -rf "$dest"
mkdir -p "$dest"
cp "$work"/qhost/protocols/thrift_gen/*.py "$dest"/
echo "generated $(ls "$dest" | tr '\n' ' ')with $(thrift --version)"
