# tsgate gateway image: build with the Rust toolchain, run on a slim Debian.
FROM rust:1-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock build.rs ./
# How the bundled SQLite is built: each connection's page cache its own (see the file).
COPY .cargo ./.cargo
COPY src ./src
COPY xsd ./xsd
COPY wsdl ./wsdl
COPY migrations ./migrations
COPY benches ./benches
# The integrator's kit (GET /kit.zip) embeds the conformance kit and its READMEs.
COPY tests/envelopes ./tests/envelopes
COPY docs/kit ./docs/kit
RUN cargo build --release --locked --bin tsgate

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates && rm -rf /var/lib/apt/lists/* \
    && useradd --system --home /var/lib/tsgate --create-home tsgate
COPY --from=build /src/target/release/tsgate /usr/local/bin/tsgate
USER tsgate
WORKDIR /var/lib/tsgate
EXPOSE 8443
ENTRYPOINT ["tsgate"]
CMD ["serve", "--config", "/etc/tsgate/tsgate.toml"]
