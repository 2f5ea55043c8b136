# dcc-sim: the DCC Data System simulator, serving a demo world on port 8079.
#
#   docker build -t dcc-sim .
#   docker run --init -p 8079:8079 -v dcc-sim-world:/data dcc-sim
#
# The world file lives in /data (a volume), so it survives container restarts; the demo world is
# seeded on first start. docker-compose.yml runs it on PostgreSQL instead, two instances behind nginx.
# Any other command: docker run --rm -v dcc-sim-world:/data dcc-sim \
#   node bin/dcc-sim.mjs devices list --db /data/dcc-sim-demo.db

# --- dependencies: better-sqlite3 and libpq's binding compile here, so the runtime image carries no compilers
FROM node:20-bookworm-slim AS deps
# libpq-dev: the PostgreSQL world's client library (the optional libpq package builds against it)
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ libpq-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
# Build native addons against the image's own Node headers (no header download). If GitHub is
# reachable, prebuild-install fetches a prebuilt better-sqlite3 instead and nothing compiles.
ENV npm_config_nodedir=/usr/local
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund \
 && node -e "require('better-sqlite3')(':memory:').close(); new (require('libpq'))()"

# --- runtime -------------------------------------------------------------------------------------
FROM node:20-bookworm-slim
# libpq5: the client library the libpq binding loads, for --db postgres://…
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpq5 \
 && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
# The sources, room by room (docs/architecture.md); node_modules comes from the deps stage above,
# never from the build context.
COPY package.json package-lock.json tsconfig.json ./
COPY bin ./bin
COPY src ./src
COPY service-requests ./service-requests
COPY devices ./devices
COPY pki ./pki
COPY db ./db
# /data is owned by the unprivileged `node` user; a new named volume inherits that ownership.
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 8079
HEALTHCHECK --interval=30s --timeout=5s --start-period=120s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8079/api/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# Listen on every interface inside the container; the demo world is seeded into /data on first start.
CMD ["node", "bin/dcc-sim.mjs", "demo", "--host", "0.0.0.0", "--port", "8079", "--db", "/data/dcc-sim-demo.db"]
