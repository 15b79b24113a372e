#!/usr/bin/env bash
# Re-derives the xmllint (libxml2) verdicts for the XSD oracle and shows a diff where they differ
# from the committed golden files (tests/oracle/verdicts.tsv for the fixture schemas,
# tests/oracle/gateway-verdicts.tsv for the gateway's xsd/ and sample envelopes).
# Installs libxml2-utils when xmllint is missing. (.ci/run needs no script: `cargo test --
# --include-ignored` runs the same derivation and fails on any difference.)
# Usage: tests/oracle/rederive.sh [--write]   (--write replaces the committed files)
set -euo pipefail
cd "$(dirname "$0")/../.."

if ! command -v xmllint >/dev/null 2>&1; then
  echo "xmllint missing: installing libxml2-utils" >&2
  if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq libxml2-utils
fi
# sed reads all of it: head would close the pipe early and xmllint would die of SIGPIPE (141).
xmllint --version 2>&1 | sed -n 1p >&2

fresh=$(mktemp -d)
trap 'rm -rf "$fresh"' EXIT
TSGATE_ORACLE_OUT="$fresh" cargo test --quiet --test xsd_oracle -- --ignored --exact rederive_golden_verdicts_with_xmllint

status=0
for name in verdicts.tsv gateway-verdicts.tsv; do
  golden=tests/oracle/$name
  if [ "${1:-}" = "--write" ]; then
    cp "$fresh/$name" "$golden"
    echo "wrote $golden ($(grep -vc '^#' "$golden") cases)"
  elif ! diff -u "$golden" "$fresh/$name"; then
    echo "xmllint's verdicts differ from $golden (see diff above)" >&2
    status=1
  else
    echo "xmllint agrees with $golden ($(grep -vc '^#' "$golden") cases)"
  fi
done
exit $status
