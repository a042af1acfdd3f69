# Local stand-in for node:22-bookworm-slim (no registry is reachable in CI): Debian bookworm
# (minbase, built by mmdebstrap) plus the Node 22 binary and npm laid out as the official image
# lays them out, and its unprivileged `node` user. Built by scripts/build-base-images.sh.
#
# EXTRA_CA_CERTS: where extra-ca.crt goes when the building machine trusts extra certificate
# authorities (its NODE_EXTRA_CA_CERTS, e.g. a TLS-inspecting egress proxy), so that npm and
# pnpm in image builds reach the registry as they do on the host; empty when it trusts none.
ARG DEBIAN_IMAGE=debian:bookworm-slim
FROM ${DEBIAN_IMAGE}
ARG EXTRA_CA_CERTS=
COPY extra-ca.crt /usr/local/share/ca-certificates/boottorrent-extra-ca.crt
ENV NODE_EXTRA_CA_CERTS=${EXTRA_CA_CERTS}
COPY node /usr/local/bin/node
COPY npm /usr/local/lib/node_modules/npm
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \
 && groupadd --gid 1000 node \
 && useradd --uid 1000 --gid node --shell /bin/bash --create-home node \
 && node --version && npm --version
CMD ["node"]
