#!/bin/sh
# Trims a service's production tree (deploy.sh) to what runs, and checks it stands alone.
set -eu
out=${1:?usage: prune.sh <folder>}
# Our packages' TypeScript sources, tests, compiled tests and build files.
for pkg in "$out"/packages/* "$out"/services/*; do
  [ -d "$pkg" ] || continue
  rm -rf "$pkg/src" "$pkg/test" "$pkg/dist/test" "$pkg/tsconfig.json" "$pkg/Dockerfile" "$pkg/README.md"
done
# Type declarations and source maps of every package.
find "$out" -type f \( -name '*.d.ts' -o -name '*.d.mts' -o -name '*.d.cts' -o -name '*.map' -o -name '*.tsbuildinfo' \) -delete
# Every link must resolve inside the tree: the image has nothing else.
dangling=$(find -L "$out" -type l)
if [ -n "$dangling" ]; then
  printf 'links that resolve outside %s:\n%s\n' "$out" "$dangling" >&2
  exit 1
fi
