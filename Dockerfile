# HelloJohn container image.
#
#   docker build -t hellojohn .
#   docker run -p 8080:8080 -e DATABASE_URL='postgres://...' hellojohn
#
# Without DATABASE_URL the server uses the embedded PGlite database in /data (development only).
#
# Metrics are on the management listener, 127.0.0.1:9000 inside the container unless MANAGEMENT_HOST says
# otherwise: set MANAGEMENT_HOST=0.0.0.0 for a Prometheus on the container network, and do not publish
# port 9000 (docs/operations.md#the-management-listener).

# Node.js 26, the Active LTS line (until October 2027; supported until April 2029), pinned to an exact
# release so a rebuild does not change the runtime. package.json "engines" says what else works.
ARG NODE_IMAGE=node:26.12.1-trixie-slim

# ---- build: compile TypeScript to dist/ ----------------------------------------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
# Scripts are skipped here because `prepare` (the build) needs the sources, copied below.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY console ./console
RUN npm run build

# ---- runtime: production dependencies + compiled output only ------------------------------------
FROM ${NODE_IMAGE}
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY bin ./bin
# Data the server reads at run time (the common-password list).
COPY assets ./assets
# `hellojohn` on the PATH, so `docker compose exec hellojohn hellojohn migrate` works.
RUN chmod 755 /app/bin/hellojohn.js \
  && ln -s /app/bin/hellojohn.js /usr/local/bin/hellojohn \
  && mkdir -p /data \
  && chown node:node /data

ENV DATA_DIR=/data \
    HOST=0.0.0.0 \
    PORT=8080
VOLUME ["/data"]
EXPOSE 8080
USER node

# Liveness only (/health); orchestrators should use GET /ready for traffic decisions.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8080) + '/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

ENTRYPOINT ["hellojohn"]
CMD ["serve"]
