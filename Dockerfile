# dajia on Debian bookworm: builds every program with CMake and installs them in a slim
# runtime image. Used by docker-compose.yml (broker, the three workers, the simulator);
# the image holds the web dashboard (dajia-dash) too.
#
#   docker build -t dajia .
#   docker compose up          # or: docker-compose up

FROM debian:bookworm AS build
# The build packages of scripts/setup.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      gcc make cmake pkg-config \
      libzmq3-dev libczmq-dev \
      protobuf-c-compiler libprotobuf-c-dev \
      liblmdb-dev lmdb-utils \
      libjansson-dev libcmocka-dev \
      libmicrohttpd-dev libxlsxwriter-dev libsodium-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY CMakeLists.txt ./
COPY proto ./proto
COPY store ./store
COPY broker ./broker
COPY workers ./workers
COPY clients ./clients
COPY bench ./bench
COPY tests ./tests
RUN cmake -S . -B /build -DCMAKE_BUILD_TYPE=RelWithDebInfo \
 && cmake --build /build -j "$(nproc)" \
      --target dajia-broker dajia-worker dajia-agent dajia-ctl dajia-office dajia-sim \
      dajia-dash \
 && install -d /out \
 && install -m 0755 /build/broker/dajia-broker /build/workers/dajia-worker \
      /build/clients/dajia-agent /build/clients/dajia-ctl /build/clients/dajia-office \
      /build/clients/dajia-sim /build/clients/dajia-dash /out/

FROM debian:bookworm-slim
# Only the shared libraries the programs load.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libzmq5 libczmq4 libprotobuf-c1 liblmdb0 libjansson4 \
      libmicrohttpd12 libxlsxwriter4 libsodium23 \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --home-dir /var/lib/dajia --create-home dajia \
 && install -d -o dajia -g dajia /var/lib/dajia/broker /var/lib/dajia/worker \
 && install -d -m 0700 -o dajia -g dajia /var/lib/dajia/keys
COPY --from=build /out/ /usr/local/bin/
# Named volumes mounted on these directories take their owner (and the key directory its
# mode) from the image.
USER dajia
WORKDIR /var/lib/dajia
# api, workers, office feed, public feed, the dashboard's HTTP
EXPOSE 7400 7401 7402 7403 7480
CMD ["dajia-broker", "--help"]
