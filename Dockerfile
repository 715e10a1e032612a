# One image for every crier process; compose.yaml picks the process with `command`.
# Build stage: compilers and -dev packages stay here.
FROM debian:12-slim AS build
RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential cmake pkg-config \
       libzmq3-dev libczmq-dev libmsgpack-dev libcurl4-openssl-dev libjansson-dev libyajl-dev libgumbo-dev zlib1g-dev libolm-dev \
       libmicrohttpd-dev libgnutls28-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN cmake -S . -B /build -DCMAKE_BUILD_TYPE=Release -DCRIER_BUILD_TESTS=OFF \
    && cmake --build /build --parallel

# Runtime stage: only the shared libraries the binaries link, and an unprivileged user.
FROM debian:12-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends libzmq5 libczmq4 libmsgpackc2 libcurl4 \
       libjansson4 libyajl2 libgumbo1 libolm3 zlib1g libmicrohttpd12 libgnutls30 ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --no-create-home crier \
    && install -d -o crier -g crier -m 700 /var/lib/crier
# The seven programs only (the build also makes crier-bench, which a deployment does not need).
COPY --from=build /build/bin/crier /build/bin/crier-ingest /build/bin/crier-resolver \
     /build/bin/crier-sender-matrix /build/bin/crier-sender-email /build/bin/crier-matrix-watch \
     /build/bin/crier-gateway /usr/local/bin/
COPY examples/mapping.json /usr/local/share/crier/mapping.json
USER crier
CMD ["crier", "--help"]
