# Local stand-in for the official NATS image (no registry is reachable in CI): Debian's
# nats-server (2.9, JetStream) and wget for the compose health check. Like the official image
# it runs whatever command compose gives it (`nats-server -js ...`).
# Built by scripts/build-base-images.sh.
ARG DEBIAN_IMAGE=debian:bookworm-slim
FROM ${DEBIAN_IMAGE}
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends nats-server wget \
 && rm -rf /var/lib/apt/lists/* \
 && nats-server --version
EXPOSE 4222 6222 8222
CMD ["nats-server", "-js"]
