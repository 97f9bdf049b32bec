# syntax=docker/dockerfile:1
# KubeServe scikit-learn runtime image (port 8080). Build from the repository root:
#   docker build -f deploy/docker/runtime-sklearn.Dockerfile -t kubeserve/runtime-sklearn .
# Serving:     docker run -p 8080:8080 -v $PWD/iris.joblib:/models/model.joblib kubeserve/runtime-sklearn --model /models/model.joblib
# Init steps (packages/k8s): python3 -m kubeserve_sklearn fetch --url URL --sha256 HEX --out /models/model.joblib
#                            python3 -m kubeserve_sklearn.venv --requirements /models/requirements.txt --target /opt/kubeserve/venv
# Only Debian bookworm's packages: scikit-learn 1.2.1 (the version the fixtures were saved with), numpy 1.24,
# scipy 1.10, joblib 1.2. apt pins them; pinned pip hashes cannot be produced without the package index.

FROM debian:bookworm-slim
ENV DEBIAN_FRONTEND=noninteractive
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      python3 python3-sklearn python3-numpy python3-scipy python3-joblib \
      python3-uvicorn python3-httptools python3-uvloop python3-prometheus-client \
      python3-venv python3-pip dumb-init util-linux \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --gid 10001 kubeserve \
 && useradd --uid 10001 --gid 10001 --no-create-home --home-dir /tmp --shell /usr/sbin/nologin kubeserve \
 && install -d -o 10001 -g 10001 /models /opt/kubeserve/venv
# Our package goes beside Debian's, so venvs made with --system-site-packages see it too.
COPY runtimes/sklearn/kubeserve_sklearn /usr/local/lib/python3.11/dist-packages/kubeserve_sklearn
RUN python3 -c "import kubeserve_sklearn.serve_cli, kubeserve_sklearn.app, sklearn; assert sklearn.__version__ == '1.2.1', sklearn.__version__"
# One BLAS thread per process (workers scale instead); the download cache and HOME live in /tmp, which
# stays writable under a read-only root filesystem.
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 OPENBLAS_NUM_THREADS=1 HOME=/tmp \
    KUBESERVE_HOST=0.0.0.0 KUBESERVE_PORT=8080 KUBESERVE_MODEL_CACHE_DIR=/tmp/model-cache
USER 10001:10001
WORKDIR /tmp
EXPOSE 8080
# Sends the replica token when one is set: with --auth-token every path, health included, needs it.
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 \
  CMD ["python3", "-c", "import os,urllib.request as u;t=os.environ.get('KUBESERVE_AUTH_TOKEN');u.urlopen(u.Request('http://127.0.0.1:'+os.environ.get('KUBESERVE_PORT','8080')+'/v2/health/live',headers={'authorization':'Bearer '+t} if t else {}),timeout=2)"]
ENTRYPOINT ["dumb-init", "--", "python3", "-m", "kubeserve_sklearn"]
