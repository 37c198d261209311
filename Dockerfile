# Plugboard's container image: `plugboard serve` on port 8080, data in the /data volume.
#
#   docker build -t plugboard .
#   docker run -d --name plugboard -p 8080:8080 -v plugboard-data:/data --stop-timeout 40 \
#       -e PLUGBOARD_PUBLIC_URL=https://plugboard.example.com plugboard
#   docker logs plugboard        # the first start prints the root admin's API token once
#   docker exec plugboard plugboard backup -o /data/backup-$(date +%F).db --with-key
#
# Built from the repository alone: cargo fetches crates from crates.io; nothing else is
# downloaded. The build script of plugboard-bundle compiles the declarative engine (a guest
# component) for wasm32-wasip2, so the builder needs that target.

ARG RUST_VERSION=1.95
ARG DEBIAN_RELEASE=trixie

FROM rust:${RUST_VERSION}-slim-${DEBIAN_RELEASE} AS build
RUN rustup target add wasm32-wasip2
WORKDIR /src
COPY . .
# The caches keep crates and build output between image builds; the binary is copied out of
# the cached target directory in the same step.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked --package plugboard-cli \
    && install -m 0755 target/release/plugboard /usr/local/bin/plugboard

FROM debian:${DEBIAN_RELEASE}-slim
# ca-certificates: integrations call HTTPS APIs (the system's roots are trusted); curl: the
# health check.
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --user-group --home-dir /data --shell /usr/sbin/nologin plugboard \
    && install -d -o plugboard -g plugboard -m 0700 /data
COPY --from=build /usr/local/bin/plugboard /usr/local/bin/plugboard
USER plugboard
# The database (plugboard.db), the credentials key (secret.key, created on first start unless
# PLUGBOARD_SECRET_KEY is set) and the compilation cache live in the volume.
ENV PLUGBOARD_DATA_DIR=/data PLUGBOARD_CACHE_DIR=/data/cache HOME=/data
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["curl", "-fsS", "-o", "/dev/null", "http://127.0.0.1:8080/healthz"]
# SIGTERM starts a graceful stop of up to 30 s: give `docker stop` more (--stop-timeout 40, or
# stop_grace_period: 40s in compose) so calls in flight finish.
STOPSIGNAL SIGTERM
ENTRYPOINT ["plugboard"]
CMD ["serve", "--listen", "0.0.0.0:8080"]
