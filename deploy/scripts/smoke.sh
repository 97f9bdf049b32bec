#!/usr/bin/env bash
# Checks every health endpoint of a running KubeServe stack and exits non-zero naming what failed.
#   deploy/scripts/smoke.sh            # the compose stack on this host
#   deploy/scripts/smoke.sh --ray      # ... plus Ray connectivity (compose.ray.yaml)
# Works against any stack by URL (e.g. kubectl port-forward), with these defaults:
#   API_URL=http://localhost:4000 WEB_URL=http://localhost:3000
#   PROMETHEUS_URL=http://127.0.0.1:9090 GRAFANA_URL=http://127.0.0.1:3001 (empty = skip)
#   RAY_CHECK=compose   run the Ray checks inside the api container (Ray's ports are never published)
#   RAY_CHECK=direct    reach RAY_DASHBOARD_URL and RAY_SERVE_URL from here (e.g. a port-forward)
#   COMPOSE="docker compose -p kubeserve -f deploy/compose.yaml" also checks every container's health
set -uo pipefail

API_URL="${API_URL:-http://localhost:4000}"
WEB_URL="${WEB_URL:-http://localhost:3000}"
PROMETHEUS_URL="${PROMETHEUS_URL-http://127.0.0.1:9090}"
GRAFANA_URL="${GRAFANA_URL-http://127.0.0.1:3001}"
RAY_CHECK="${RAY_CHECK:-compose}"
TIMEOUT="${SMOKE_TIMEOUT:-5}"
check_ray=0
[[ "${1:-}" == "--ray" ]] && check_ray=1

failures=0
pass() { printf 'ok    %s\n' "$1"; }
fail() { printf 'FAIL  %s: %s\n' "$1" "$2"; failures=$((failures + 1)); }

# GET a URL; optionally require a substring in the body.
probe() {
  local name="$1" url="$2" expect="${3:-}" body
  if ! body="$(curl -fsS --max-time "$TIMEOUT" "$url" 2>&1)"; then
    fail "$name" "$url: ${body:-no answer}"
    return
  fi
  if [[ -n "$expect" && "$body" != *"$expect"* ]]; then
    fail "$name" "$url answered without \"$expect\": ${body:0:200}"
    return
  fi
  pass "$name"
}

probe "api liveness" "$API_URL/healthz" '"ok"'
probe "api readiness" "$API_URL/readyz" '"ready"'
probe "web dashboard" "$WEB_URL/"

if [[ -n "$PROMETHEUS_URL" ]]; then
  probe "prometheus ready" "$PROMETHEUS_URL/-/ready"
  # The API's metrics port is internal-only: Prometheus scraping it is the check that it answers.
  probe "prometheus scrapes the api" "$PROMETHEUS_URL/api/v1/query?query=up%7Bjob%3D%22kubeserve-api%22%7D%3D%3D1" '"job":"kubeserve-api"'
fi
if [[ -n "$GRAFANA_URL" ]]; then
  probe "grafana health" "$GRAFANA_URL/api/health" '"database"'
  probe "grafana platform dashboard" "$GRAFANA_URL/api/dashboards/uid/kubeserve-platform" '"kubeserve-platform"'
  probe "grafana deployment dashboard" "$GRAFANA_URL/api/dashboards/uid/kubeserve-deployment" '"kubeserve-deployment"'
fi

if [[ -n "${COMPOSE:-}" ]]; then
  # Every long-running container healthy (PostgreSQL, MinIO and Ray have no published port to probe).
  while read -r service state health; do
    [[ -z "$service" ]] && continue
    if [[ "$health" == "healthy" ]]; then pass "container $service"; else fail "container $service" "$state ${health:-no healthcheck}"; fi
  done < <($COMPOSE ps --format '{{.Service}} {{.State}} {{.Health}}' 2>/dev/null)
fi

if (( check_ray )); then
  RAY_DASHBOARD_URL="${RAY_DASHBOARD_URL:-http://ray-head:8265}"
  RAY_SERVE_URL="${RAY_SERVE_URL:-http://ray-head:8000}"
  if [[ "$RAY_CHECK" == "direct" ]]; then
    probe "ray dashboard (Serve REST API)" "$RAY_DASHBOARD_URL/api/serve/applications/" '"applications"'
    probe "ray serve proxy" "$RAY_SERVE_URL/-/healthz"
  else
    # From inside the api container: the path the API itself uses.
    compose="${COMPOSE:-docker compose -p kubeserve -f deploy/compose.yaml -f deploy/compose.ray.yaml}"
    for target in "ray dashboard (Serve REST API)|$RAY_DASHBOARD_URL/api/serve/applications/" "ray serve proxy|$RAY_SERVE_URL/-/healthz"; do
      name="${target%%|*}" url="${target#*|}"
      if out="$($compose exec -T api node -e "fetch(process.argv[1],{signal:AbortSignal.timeout(${TIMEOUT}000)}).then(r=>{if(!r.ok)throw new Error('HTTP '+r.status)}).catch(e=>{console.error(e.message);process.exit(1)})" "$url" 2>&1)"; then
        pass "$name"
      else
        fail "$name" "$url from the api container: ${out:-no answer}"
      fi
    done
  fi
fi

if (( failures )); then
  printf '%d check(s) failed\n' "$failures"
  exit 1
fi
printf 'all checks passed\n'
