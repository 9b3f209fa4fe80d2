# mlgate's container image: every executable on PATH, as a non-root user, in /workspace.
#   docker build -t mlgate .                    (or: buildah bud -t mlgate .)
#   docker run --rm -v "$PWD:/workspace" mlgate mlgate-eval --data preds.csv
# Model runtimes (Python, R, ...) are the user's: build FROM this image and add them (README).
# BUILDER and BASE are overridable: the tests pass a debootstrapped Debian 12 for both.
ARG BUILDER=debian:12
ARG BASE=debian:12-slim

FROM ${BUILDER} AS build
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      cmake ninja-build g++ pkg-config help2man ca-certificates \
      libcli11-dev nlohmann-json3-dev libcurl4-openssl-dev libssl-dev libboost-dev \
      libboost-filesystem-dev libyaml-cpp-dev libsimdjson-dev libre2-dev zlib1g-dev \
      libsnappy-dev libzstd-dev liblz4-dev libbrotli-dev >/dev/null \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN cmake -S . -B /build -G Ninja -DCMAKE_BUILD_TYPE=Release -DMLGATE_TESTS=OFF >/dev/null \
 && cmake --build /build -j "$(nproc)" \
 && cmake --install /build --prefix /opt/mlgate --component tools >/dev/null

FROM ${BASE}
ARG VERSION=0.1.0
LABEL org.opencontainers.image.title="mlgate" \
      org.opencontainers.image.description="Gate machine-learning models in CI/CD" \
      org.opencontainers.image.source="https://github.com/mlgate/mlgate" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="Apache-2.0"
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      libboost-filesystem1.74.0 libcurl4 libre2-9 libsimdjson14 libssl3 libyaml-cpp0.7 zlib1g \
      libsnappy1v5 libzstd1 liblz4-1 libbrotli1 \
      ca-certificates git >/dev/null \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --create-home --uid 10001 --shell /bin/bash mlgate \
 && mkdir -p /workspace && chown mlgate:mlgate /workspace
COPY --from=build /opt/mlgate/ /usr/local/
USER mlgate
WORKDIR /workspace
CMD ["mlgate-eval", "--help"]
