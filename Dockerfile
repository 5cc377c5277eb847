# The shipper image: the compiled shipper, its native data plane and its production
# dependencies on Node.js 24, run as the unprivileged "node" user.
#
#   docker build -t zeek-zmq-shipper .
#   docker run --rm -v zeek-zmq:/run/zeek-zmq -p 127.0.0.1:8080:8080 \
#     -e ZEEK_ZMQ_ENDPOINTS='tcp://0.0.0.0:5556?mode=bind' zeek-zmq-shipper
ARG NODE_IMAGE=node:24-bookworm-slim

FROM ${NODE_IMAGE} AS build
# The native data plane's addon is compiled here against Debian's libzmq; only the .node
# file and the runtime libzmq5 go into the image.
RUN apt-get -q update \
 && apt-get install -q -y --no-install-recommends g++ make python3 libzmq3-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
# Compile, then keep only what runs: production dependencies, the native addon (beside the
# compiled native-plane.js, where it looks for it), and of zeromq's prebuilt addons only
# the Linux ones. The build fails if the addon does.
RUN npm run build \
 && node src/native/build-addon.ts \
 && mkdir -p dist/native/build/Release \
 && cp src/native/build/Release/zeek_zmq_native.node dist/native/build/Release/ \
 && npm prune --omit=dev --no-audit --no-fund \
 && rm -rf node_modules/zeromq/build/darwin node_modules/zeromq/build/win32 \
 && find dist -name '*.map' -delete

FROM ${NODE_IMAGE}
# libzmq5 for the native data plane; apt's downloads and lists do not stay in the image.
RUN apt-get -q update \
 && apt-get install -q -y --no-install-recommends libzmq5 \
 && apt-get clean \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin
ENV NODE_ENV=production
WORKDIR /app
COPY package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# The socket directory Zeek's writer connects to; shared with the Zeek container as a
# volume. Owned by "node" so that the shipper can create the socket in a fresh volume.
RUN mkdir -p /run/zeek-zmq && chown node:node /run/zeek-zmq
USER node
VOLUME /run/zeek-zmq
EXPOSE 8080
# Healthy once every input and endpoint socket is set up; node's fetch, no curl needed.
HEALTHCHECK --interval=5s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.ZEEK_ZMQ_HTTP_PORT || 8080}/readyz`).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "/app/dist/cli/index.js"]
CMD ["run"]
