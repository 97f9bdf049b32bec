# syntax=docker/dockerfile:1
# KubeServe dashboard image (port 3000). Build from the repository root:
#   docker build -f deploy/docker/web.Dockerfile -t kubeserve/web .
# Nothing is downloaded at build time except npm packages and Debian packages (no next/font/google).

FROM node:20-bookworm-slim AS base
ENV TURBO_TELEMETRY_DISABLED=1 NEXT_TELEMETRY_DISABLED=1 CI=1
RUN npm install -g pnpm@10.34.9 turbo@2.11.11

FROM base AS pruner
WORKDIR /repo
COPY . .
RUN turbo prune @kubeserve/web --docker

FROM base AS builder
WORKDIR /repo
COPY --from=pruner /repo/out/json/ ./
RUN pnpm install --frozen-lockfile
COPY --from=pruner /repo/out/full/ ./
RUN turbo run build --filter=@kubeserve/web
# `next start` needs next, react and the built .next folder; the deploy brings the first two.
RUN pnpm --filter @kubeserve/web deploy --prod --legacy /out \
 && rm -rf /out/.next/cache /out/src \
 && test -f /out/.next/BUILD_ID && test -x /out/node_modules/next/dist/bin/next

FROM node:20-bookworm-slim AS runtime
RUN apt-get update && apt-get install -y --no-install-recommends dumb-init && rm -rf /var/lib/apt/lists/* \
 && groupadd --gid 10001 kubeserve \
 && useradd --uid 10001 --gid 10001 --no-create-home --home-dir /tmp --shell /usr/sbin/nologin kubeserve
COPY --from=builder /out /app
WORKDIR /app
ENV NODE_ENV=production PORT=3000 HOSTNAME=0.0.0.0
USER 10001:10001
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/').then(r=>process.exit(r.status<500?0:1),()=>process.exit(1))"]
ENTRYPOINT ["dumb-init", "--"]
# `next start` listens on $PORT.
CMD ["node", "node_modules/next/dist/bin/next", "start", "--hostname", "0.0.0.0"]
