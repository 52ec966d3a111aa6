# The Mifeng API as a container image: a build stage that compiles the server, and a runtime
# stage with the production dependencies only (no TypeScript, no Prisma CLI), running as a
# non-root user with the embedded database's directory as a volume.
#
#   docker build -t mifeng .            # podman build --format docker -t mifeng .
#   docker run -p 3000:3000 -v mifeng-data:/data --env-file .env mifeng
#
# compose.yaml runs two of these behind nginx on PostgreSQL and Redis. CI builds and runs this
# image with podman on a Node base made from local files, passed as NODE_IMAGE, since nothing can
# be pulled there (tests/deploy/slow-container.test.ts), and runs every COPY, RUN, HEALTHCHECK and
# CMD below outside a container too (tests/deploy/slow-dockerfile.test.ts; docs/operations.md).

ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY . .
RUN npm ci --no-audit --no-fund && npm run build:server

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production DATA_DIR=/data PORT=3000
WORKDIR /app
COPY --from=build /app/package.json /app/package-lock.json ./
# No install scripts: no production dependency needs one, and the Prisma client is already
# inside the built server.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/scripts/start.mjs ./scripts/
COPY --from=build /app/prisma/migrations ./prisma/migrations
COPY --from=build /app/dist/server ./dist/server
COPY --from=build /app/dist/pglite-template ./dist/pglite-template
# uid 1000 is the image's `node` user, given by number so runAsNonRoot policies can check it.
RUN mkdir -p /data && chown 1000:1000 /data
USER 1000:1000
VOLUME /data
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.PORT}/healthz`).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "scripts/start.mjs"]
