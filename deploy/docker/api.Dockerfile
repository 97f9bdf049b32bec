# syntax=docker/dockerfile:1
# KubeServe API image. Build from the repository root:
#   docker build -f deploy/docker/api.Dockerfile -t kubeserve/api .
# Migrations are not run by the serving container: run the same image once with
#   node dist/cli/migrate.js deploy
FROM node:20-bookworm-slim AS base
ENV NEXT_TELEMETRY_DISABLED=1 TURBO_TELEMETRY_DISABLED=1 COREPACK_ENABLE_DOWNLOAD_PROMPT=0
RUN corepack enable

FROM base AS pruner
WORKDIR /repo
COPY . .
RUN pnpm dlx turbo@2.11.11 prune @kubeserve/api --docker

FROM base AS builder
WORKDIR /repo
COPY --from=pruner /repo/out/json/ .
RUN pnpm install --frozen-lockfile
COPY --from=pruner /repo/out/full/ .
RUN pnpm --filter @kubeserve/db generate && pnpm exec turbo run build --filter=@kubeserve/api
RUN pnpm --filter @kubeserve/api deploy --prod --legacy /app

FROM node:20-bookworm-slim AS runtime
RUN apt-get update && apt-get install -y --no-install-recommends dumb-init && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=builder --chown=node:node /app ./
COPY --from=builder --chown=node:node /repo/apps/api/dist ./dist
ENV NODE_ENV=production API_HOST=0.0.0.0 API_PORT=4000
USER node
EXPOSE 4000
HEALTHCHECK --interval=10s --timeout=3s CMD node -e "fetch('http://127.0.0.1:4000/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
ENTRYPOINT ["dumb-init", "--"]
CMD ["node", "dist/server.js"]
