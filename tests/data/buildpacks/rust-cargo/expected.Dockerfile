# Synthesized by nextdeploy (rust, cargo). 'nextdeploy plan' says why.
FROM rust:1.63-bookworm AS build
WORKDIR /src
LABEL nextdeploy.managed="true" nextdeploy.app="golden" nextdeploy.stage="build"
COPY . .
RUN cargo build --release --locked

FROM debian:bookworm-slim AS runtime
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates busybox-static \
 && ln -s /bin/busybox /usr/local/bin/wget \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/target/release/rust-cargo /usr/local/bin/rust-cargo
WORKDIR /app
USER 10001:10001
ENV PORT=8080
EXPOSE 8080
CMD ["/usr/local/bin/rust-cargo"]
