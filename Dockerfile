# cutover as container images. Two targets:
#
#   docker build -t cutover .                       # the emulator (the last stage, `cutover`)
#   docker build --target walkthrough -t cutover-walkthrough .
#                                                   # AWS CLI v1 + python3 + curl, for
#                                                   # scripts/lab-walkthrough.sh (docker-compose.yml)
#
# Not built on the project's own machines (they have no Docker engine):
# client-tests/cli/test_compose.py checks this file's structure and runs the walkthrough without
# Docker; see docs/ci.md.

# --- the client that runs the Lab 4 walkthrough -------------------------------------------------
FROM python:3.12-slim-bookworm AS walkthrough
RUN apt-get update && apt-get install -y --no-install-recommends curl \
    && rm -rf /var/lib/apt/lists/*
# The AWS CLI version the client tests pin (client-tests/python/requirements.txt).
RUN pip install --no-cache-dir awscli==1.45.11
WORKDIR /lab
ENTRYPOINT []

# --- the emulator: build ------------------------------------------------------------------------
FROM rust:1-slim-bookworm AS build
WORKDIR /src
# The whole workspace (its other members must exist for Cargo to load it); .dockerignore keeps
# target/, .venv, node_modules and .git out.
COPY . .
RUN cargo build --release --locked -p cutover --bin cutover

# --- the emulator: runtime ----------------------------------------------------------------------
FROM debian:bookworm-slim AS cutover
# curl for the health check; python3 and nodejs run Lambda functions (python3.x and nodejs18.x+
# runtimes run as local processes with the interpreter on PATH).
RUN apt-get update && apt-get install -y --no-install-recommends curl ca-certificates python3 nodejs \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/target/release/cutover /usr/local/bin/cutover
ENV CUTOVER_BIND=0.0.0.0:4566
EXPOSE 4566
HEALTHCHECK --interval=2s --timeout=2s --start-period=2s --retries=15 \
    CMD ["curl", "-fsS", "http://127.0.0.1:4566/_emulator/health"]
ENTRYPOINT ["cutover", "serve"]
