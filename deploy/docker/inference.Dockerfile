# syntax=docker/dockerfile:1
# KubeServe ONNX model server image (port 8080). Build from the repository root:
#   docker build -f deploy/docker/inference.Dockerfile -t kubeserve/inference .
# Serving:   docker run -p 8080:8080 -v $PWD/iris.onnx:/models/iris.onnx kubeserve/inference --model /models/iris.onnx
# Init step: kubeserve-inference fetch --url URL --sha256 HEX --out /models/model.onnx  (KUBESERVE_MODEL_TOKEN)
# Nothing is downloaded at build time except npm packages and Debian packages.

FROM node:20-bookworm-slim AS base
ENV TURBO_TELEMETRY_DISABLED=1 ONNXRUNTIME_NODE_INSTALL=skip CI=1
RUN npm install -g pnpm@10.34.9 turbo@2.11.11

FROM base AS pruner
WORKDIR /repo
COPY . .
RUN turbo prune @kubeserve/inference --docker

FROM base AS builder
WORKDIR /repo
COPY --from=pruner /repo/out/json/ ./
RUN pnpm install --frozen-lockfile
COPY --from=pruner /repo/out/full/ ./
RUN turbo run build --filter=@kubeserve/inference
RUN pnpm --filter @kubeserve/inference deploy --prod --legacy /out \
 && rm -rf /out/src /out/test /out/bench \
 && rm -rf /out/node_modules/.pnpm/onnxruntime-node@*/node_modules/onnxruntime-node/bin/napi-v*/darwin \
           /out/node_modules/.pnpm/onnxruntime-node@*/node_modules/onnxruntime-node/bin/napi-v*/win32 \
 && test -x /out/dist/cli.js

FROM node:20-bookworm-slim AS runtime
RUN apt-get update && apt-get install -y --no-install-recommends dumb-init && rm -rf /var/lib/apt/lists/* \
 && groupadd --gid 10001 kubeserve \
 && useradd --uid 10001 --gid 10001 --no-create-home --home-dir /tmp --shell /usr/sbin/nologin kubeserve \
 && install -d -o 10001 -g 10001 /models
COPY --from=builder /out /opt/kubeserve/inference
RUN ln -s /opt/kubeserve/inference/dist/cli.js /usr/local/bin/kubeserve-inference
WORKDIR /opt/kubeserve/inference
# The S3/HTTP download cache goes to /tmp, which stays writable under a read-only root filesystem.
ENV NODE_ENV=production KUBESERVE_HOST=0.0.0.0 KUBESERVE_PORT=8080 KUBESERVE_MODEL_CACHE_DIR=/tmp/model-cache
USER 10001:10001
EXPOSE 8080
# Sends the replica token when one is set: with --auth-token every path, health included, needs it.
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 \
  CMD ["node", "-e", "const t=process.env.KUBESERVE_AUTH_TOKEN;fetch('http://127.0.0.1:'+(process.env.KUBESERVE_PORT||8080)+'/v2/health/live',{headers:t?{authorization:'Bearer '+t}:{}}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["dumb-init", "--", "kubeserve-inference"]
