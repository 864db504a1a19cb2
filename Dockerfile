# The cutover emulator as a container image. Not built on the project's own machines (they have no
# Docker engine); see the README.
FROM rust:1-slim-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release -p cutover --bin cutover

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends curl ca-certificates python3 nodejs \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/target/release/cutover /usr/local/bin/cutover
EXPOSE 4566
ENV CUTOVER_BIND=0.0.0.0:4566
ENTRYPOINT ["cutover", "serve"]
