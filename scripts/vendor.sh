#!/usr/bin/env bash
# Vendor the page's JavaScript libraries: pinned versions taken from npm (npm pack), each minified
# UMD build copied with its licence into src/costlab/web/static/vendor/, so that `costlab serve`
# needs no network. Run it again after changing a version; commit what it writes.
#
#   d3-color, d3-interpolate, d3-scale-chromatic: the playground's colour maps (ISC licence).
set -euo pipefail

PACKAGES=(d3-color@3.1.0 d3-interpolate@3.0.1 d3-scale-chromatic@3.1.0)
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
DEST="$ROOT/src/costlab/web/static/vendor"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

mkdir -p "$DEST"
cd "$TMP"
for spec in "${PACKAGES[@]}"; do
  name="${spec%@*}"
  version="${spec##*@}"
  npm pack --silent "$spec" >/dev/null
  mkdir "$name"
  tar xzf "$name-$version.tgz" -C "$name"
  cp "$name/package/dist/$name.min.js" "$DEST/$name.min.js"
  cp "$name/package/LICENSE" "$DEST/$name.LICENSE.txt"
  echo "$name $version sha256:$(sha256sum "$DEST/$name.min.js" | cut -c1-64)" >> "$TMP/VERSIONS.txt"
done
cp "$TMP/VERSIONS.txt" "$DEST/VERSIONS.txt"
cat "$DEST/VERSIONS.txt"
