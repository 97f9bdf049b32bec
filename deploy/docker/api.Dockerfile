# syntax=docker/dockerfile:1
# KubeServe API image (port 4000, metrics 9464). It also carries the ONNX model server, which the
# `local` runtime starts as replicas inside this container (compose). Build from the repository root:
#   docker build -f deploy/docker/api.Dockerfile -t kubeserve/api .
# Migrations are never run by the serving container: run this image once with
#   node dist/cli/migrate.js deploy
# (the compose `migrate` service and the kustomize `kubeserve-migrate` Job do exactly that).
# Nothing is downloaded at build time except npm packages and Debian packages.

FROM node:20-bookworm-slim AS base
ENV TURBO_TELEMETRY_DISABLED=1 NEXT_TELEMETRY_DISABLED=1 ONNXRUNTIME_NODE_INSTALL=skip CI=1
RUN npm install -g pnpm@10.34.9 turbo@2.11.11

FROM base AS pruner
WORKDIR /repo
COPY . .
RUN turbo prune @kubeserve/api @kubeserve/inference --docker

FROM base AS builder
WORKDIR /repo
COPY --from=pruner /repo/out/json/ ./
# The root postinstall generates the Prisma client, so the schema must be there before the install.
COPY --from=pruner /repo/out/full/packages/db/prisma ./packages/db/prisma
COPY --from=pruner /repo/out/full/packages/db/prisma.config.ts ./packages/db/prisma.config.ts
RUN pnpm install --frozen-lockfile
COPY --from=pruner /repo/out/full/ ./
# tsup bundles the workspace packages (@kubeserve/db, @kubeserve/k8s) into dist; npm packages stay
# external and come from `pnpm deploy --prod`, which also installs @kubeserve/db with its prisma/
# folder, where dist/cli/migrate.js finds the migrations.
RUN turbo run build --filter=@kubeserve/api --filter=@kubeserve/inference
RUN pnpm --filter @kubeserve/api deploy --prod --legacy /out/api \
 && pnpm --filter @kubeserve/inference deploy --prod --legacy /out/inference \
 && rm -rf /out/api/src /out/api/bench /out/inference/src /out/inference/test /out/inference/bench \
 && rm -rf /out/inference/node_modules/.pnpm/onnxruntime-node@*/node_modules/onnxruntime-node/bin/napi-v*/darwin \
           /out/inference/node_modules/.pnpm/onnxruntime-node@*/node_modules/onnxruntime-node/bin/napi-v*/win32 \
 && test -f /out/api/dist/server.js && test -f /out/api/dist/cli/migrate.js \
 && test -d /out/api/node_modules/@kubeserve/db/prisma/migrations && test -x /out/inference/dist/cli.js

FROM node:20-bookworm-slim AS runtime
RUN apt-get update && apt-get install -y --no-install-recommends dumb-init && rm -rf /var/lib/apt/lists/* \
 && groupadd --gid 10001 kubeserve \
 && useradd --uid 10001 --gid 10001 --no-create-home --home-dir /var/lib/kubeserve --shell /usr/sbin/nologin kubeserve \
 && install -d -o 10001 -g 10001 -m 0750 /var/lib/kubeserve
# Code stays root-owned and read-only for the service user; only KUBESERVE_HOME is writable.
COPY --from=builder /out/api /app
COPY --from=builder /out/inference /opt/kubeserve/inference
RUN ln -s /opt/kubeserve/inference/dist/cli.js /usr/local/bin/kubeserve-inference
WORKDIR /app
ENV NODE_ENV=production API_HOST=0.0.0.0 API_PORT=4000 METRICS_HOST=0.0.0.0 METRICS_PORT=9464 \
    KUBESERVE_HOME=/var/lib/kubeserve
USER 10001:10001
EXPOSE 4000 9464
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.API_PORT||4000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["dumb-init", "--"]
CMD ["node", "dist/server.js"]
