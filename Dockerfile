# syntax=docker/dockerfile:1

# ---- build ------------------------------------------------------------------
FROM rust:1-bookworm AS builder
WORKDIR /src

# Migrations are embedded at compile time (sqlx::migrate!), so the whole
# workspace, including migrations/, is the build context.
COPY . .
RUN cargo build --release --locked --bin early-risk \
 && mkdir -p artifacts

# ---- runtime ----------------------------------------------------------------
FROM debian:bookworm-slim AS runtime

RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 early-risk \
 && useradd --system --uid 10001 --gid early-risk --home-dir /app --no-create-home early-risk \
 && mkdir -p /app \
 && chown early-risk:early-risk /app

WORKDIR /app
COPY --from=builder /src/target/release/early-risk /usr/local/bin/early-risk
# Taken from the builder, where it is guaranteed to exist (possibly empty).
COPY --from=builder --chown=early-risk:early-risk /src/artifacts /app/artifacts

USER early-risk:early-risk
ENV BIND_ADDR=0.0.0.0:8080
EXPOSE 8080

ENTRYPOINT ["early-risk"]
CMD ["serve"]
