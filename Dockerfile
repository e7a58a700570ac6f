# Lantern: multi-stage build of the `lantern` binary, the widget and the console.
# The final image is Debian slim with the binary, the widget and a non-root
# user; SQLite data lives in /data (mount a volume there).

# --- build -------------------------------------------------------------------
FROM rust:1.95-bookworm AS build
WORKDIR /src
RUN rustup target add wasm32-unknown-unknown \
 && apt-get update && apt-get install -y --no-install-recommends nodejs npm zopfli \
 && rm -rf /var/lib/apt/lists/*
# Tools at the versions the project pins (see scripts/setup.sh).
RUN cargo install --locked trunk --version 0.21.14 \
 && cargo install wasm-bindgen-cli --version 0.2.130
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN mkdir -p target && echo rustup > target/.wasm-toolchain \
 && bash scripts/build-widget.sh \
 && bash scripts/build-console.sh \
 && cargo build --release --bin lantern

# --- run ---------------------------------------------------------------------
FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates curl postgresql-client \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home /data lantern \
 && mkdir -p /data && chown lantern /data
COPY --from=build /src/target/release/lantern /usr/local/bin/lantern
COPY --from=build /src/widget/dist /opt/lantern/widget
COPY --from=build /src/console/dist /opt/lantern/console
ENV LANTERN_ADDR=0.0.0.0:8080 \
    DATABASE_URL=sqlite:///data/lantern.db \
    LANTERN_WIDGET_DIR=/opt/lantern/widget \
    LANTERN_CONSOLE_DIR=/opt/lantern/console \
    LANTERN_LOG_FORMAT=json
USER lantern
WORKDIR /data
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s \
  CMD curl -fsS http://127.0.0.1:8080/health/ready || exit 1
STOPSIGNAL SIGTERM
ENTRYPOINT ["lantern"]
CMD ["serve"]
