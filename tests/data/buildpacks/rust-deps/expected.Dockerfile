# Synthesized by nextdeploy (rust, cargo). 'nextdeploy plan' says why.
FROM rust:1.75.0-bookworm AS build
WORKDIR /src
LABEL nextdeploy.managed="true" nextdeploy.app="golden" nextdeploy.stage="build"
COPY Cargo.toml Cargo.lock ./
RUN mkdir -p src && echo 'fn main() {}' >src/main.rs \
 && cargo build --release --locked \
 && rm -rf src
COPY . .
RUN find src -name '*.rs' -exec touch {} + \
 && cargo build --release --locked

FROM debian:bookworm-slim AS runtime
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates busybox-static \
 && ln -s /bin/busybox /usr/local/bin/wget \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/target/release/shop-server /usr/local/bin/shop-server
WORKDIR /app
USER 10001:10001
ENV PORT=8080
EXPOSE 8080
CMD ["/usr/local/bin/shop-server"]
