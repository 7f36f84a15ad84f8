# syntax=docker/dockerfile:1
# Guichet's container image: a build stage with the Rust toolchain, and a runtime stage
# with the binary alone (plus git, which the form builder commits the catalogue with).
#
#   docker build -t guichet .
#   docker run -p 8080:8080 -v guichet-data:/data -v guichet-catalogue:/catalogue guichet
#
# /data holds the SQLite database, the attachments and the e-mails of the file transport;
# /catalogue the territory, forms and rules (a new named volume starts with the demo
# territory). Operations (backup, upgrade, secrets): docs/operations.md.

FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
# Dependencies first, in their own layer, so a change to the code does not rebuild them.
COPY Cargo.toml Cargo.lock ./
RUN mkdir -p src benches \
    && echo 'fn main() {}' > src/main.rs \
    && touch src/lib.rs \
    && for bench in pipeline queues footprint; do echo 'fn main() {}' > "benches/$bench.rs"; done \
    && cargo build --release --locked \
    && rm -rf src benches
COPY src ./src
COPY benches ./benches
COPY migrations ./migrations
COPY templates ./templates
COPY static ./static
# The placeholder's build must not be taken for the real one.
RUN touch src/main.rs src/lib.rs \
    && cargo build --release --locked \
    && cp target/release/guichet /usr/local/bin/guichet

FROM debian:bookworm-slim AS runtime
# Debian's security updates replace package versions within a release, so pinned versions
# would stop installing; the base image's tag is what fixes the release.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates curl git \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 guichet \
    && useradd --system --uid 10001 --gid guichet --home-dir /data --shell /usr/sbin/nologin guichet \
    && mkdir -p /data /catalogue \
    && chown guichet:guichet /data /catalogue
COPY --from=build /usr/local/bin/guichet /usr/local/bin/guichet
COPY --chown=guichet:guichet territory.toml /catalogue/
COPY --chown=guichet:guichet form-definitions /catalogue/form-definitions
COPY --chown=guichet:guichet rules /catalogue/rules

ENV GUICHET_BIND=0.0.0.0:8080 \
    DATABASE_URL=sqlite:///data/guichet.db \
    GUICHET_CATALOGUE=/catalogue \
    GUICHET_ATTACHMENTS_DIR=/data/attachments \
    GUICHET_MAIL_URL=file:///data/mail
VOLUME ["/data", "/catalogue"]
USER 10001:10001
WORKDIR /data
EXPOSE 8080
# /livez answers while the process serves HTTP; it does not ask the database (/healthz does).
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s --retries=3 \
    CMD ["curl", "--fail", "--silent", "--show-error", "--max-time", "2", "http://127.0.0.1:8080/livez"]
ENTRYPOINT ["/usr/local/bin/guichet"]
CMD ["serve"]
