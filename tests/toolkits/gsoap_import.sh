#!/usr/bin/env bash
# Imports every tsgate WSDL with gSOAP: wsdl2h (WSDL/XSD → C++ header), then soapcpp2 (header →
# client proxy and serialisers). Exits non-zero if either tool fails on any WSDL.
#
#   apt-get install gsoap && bash tests/toolkits/gsoap_import.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for wsdl in wsdl/*.wsdl; do
  name=$(basename "$wsdl" .wsdl)
  wsdl2h -o "$out/$name.h" "$wsdl" >"$out/$name.wsdl2h.log" 2>&1 \
    || { cat "$out/$name.wsdl2h.log"; exit 1; }
  mkdir -p "$out/$name"
  soapcpp2 -0 -j -C -x -d "$out/$name" -I/usr/share/gsoap/import "$out/$name.h" \
    >"$out/$name.soapcpp2.log" 2>&1 || { cat "$out/$name.soapcpp2.log"; exit 1; }
  echo "gSOAP: $name imported: $(ls "$out/$name" | grep -c Proxy) proxy files"
done
