#!/bin/sh
# The production tree of one service, for its image: the service and the workspace packages it
# depends on, and their production dependencies at the lockfile's versions, installed offline
# (the build stage's `pnpm fetch` brought every package). The workspace's own layout is kept, so
# pnpm's relative links hold wherever the tree is copied.
#   sh deploy/docker/deploy.sh <package name> <out>     (at the workspace root, after tsc -b)
# (`pnpm deploy --legacy` would resolve versions again, from the registry: online, and not
# necessarily the lockfile's.)
set -eu
pkg=${1:?usage: deploy.sh <package name> <out>}
out=${2:?usage: deploy.sh <package name> <out>}
root=$(pwd)
selector="$pkg..."

# The workspace packages it runs with: itself and its production dependencies.
dirs=$(pnpm --filter-prod "$selector" exec pwd)
# Production dependencies of those packages only, nothing else.
rm -rf node_modules packages/*/node_modules services/*/node_modules bench/node_modules test/node_modules
pnpm install --frozen-lockfile --offline --prod --filter-prod "$selector" --loglevel=warn
# Workspace folders reached through links too (pnpm overrides: webrtc-polyfill -> packages/no-webrtc).
linked=$(find node_modules -type l -exec readlink -f {} + | sed -n "s#^$root/\(packages\|services\)/\([^/]*\).*#$root/\1/\2#p" | sort -u)

mkdir -p "$out"
cp -a package.json node_modules "$out/"
for dir in $(printf '%s\n' $dirs $linked | sort -u); do
  rel=${dir#"$root"/}
  mkdir -p "$(dirname "$out/$rel")"
  cp -a "$dir" "$out/$rel"
done
sh "$root/deploy/docker/prune.sh" "$out"
