# Image with every Tocsin binary. Used by docker-compose.yml and the Helm chart.
FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked -p tocsin -p tocsin-ingest -p tocsin-engagement -p tocsin-notifier -p tocsin-api

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 tocsin
COPY --from=build /src/target/release/tocsin /src/target/release/tocsin-ingest /src/target/release/tocsin-engagement \
    /src/target/release/tocsin-notifier /src/target/release/tocsin-api /usr/local/bin/
USER tocsin
ENTRYPOINT ["tocsin"]
CMD ["dev", "--demo"]
