#!/usr/bin/env bash
# End-to-end check of a running KubeServe platform, with curl and jq only:
#   scripts/integration-test.sh BASE_URL [MODEL_FILE]
# registers (or logs in as KUBESERVE_EMAIL/KUBESERVE_PASSWORD), creates a model and a version, uploads the model
# file, deploys it, waits for `running`, predicts with an API key, and deletes what it made. One line per step;
# exits non-zero at the first failure.
set -euo pipefail

BASE_URL="${1:?usage: integration-test.sh BASE_URL [MODEL_FILE]}"
BASE_URL="${BASE_URL%/}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
MODEL_FILE="${2:-${MODEL_FILE:-$HERE/../apps/api/test/fixtures/iris-logreg.onnx}}"
RUN_ID="$(date +%s)-$$"
EMAIL="${KUBESERVE_EMAIL:-it-$RUN_ID@example.com}"
PASSWORD="${KUBESERVE_PASSWORD:-integration-test-password}"
WAIT_SECONDS="${WAIT_SECONDS:-60}"
TOKEN=""
DEPLOYMENT_ID=""

step() { printf '==> %s\n' "$*"; }
fail() {
  printf 'FAIL: %s\n' "$*" >&2
  exit 1
}

# tRPC call: trpc METHOD PROCEDURE JSON → prints result.data, fails with the server's message.
trpc() {
  local method="$1" procedure="$2" input="${3:-{\}}" response
  local auth=()
  [[ -n "$TOKEN" ]] && auth=(-H "authorization: Bearer $TOKEN")
  if [[ "$method" == GET ]]; then
    response="$(curl -sS -G "${auth[@]}" --data-urlencode "input=$input" "$BASE_URL/trpc/$procedure")" ||
      fail "$procedure: no answer from $BASE_URL"
  else
    response="$(curl -sS -X POST "${auth[@]}" -H 'content-type: application/json' -d "$input" \
      "$BASE_URL/trpc/$procedure")" || fail "$procedure: no answer from $BASE_URL"
  fi
  if ! jq -e '.result' >/dev/null 2>&1 <<<"$response"; then
    fail "$procedure: $(jq -r '.error.message // .' <<<"$response" 2>/dev/null || echo "$response")"
  fi
  jq -c '.result.data' <<<"$response"
}

cleanup() {
  if [[ -n "$DEPLOYMENT_ID" && -n "$TOKEN" ]]; then
    trpc POST deployment.delete "{\"id\":\"$DEPLOYMENT_ID\"}" >/dev/null 2>&1 || true
  fi
}
trap cleanup EXIT

[[ -f "$MODEL_FILE" ]] || fail "model file $MODEL_FILE not found (pass it as the second argument)"

step "health: $BASE_URL/readyz"
curl -sSf "$BASE_URL/readyz" >/dev/null || fail "the platform at $BASE_URL is not ready"

step "sign in as $EMAIL"
if session="$(trpc POST auth.register "$(jq -nc --arg e "$EMAIL" --arg p "$PASSWORD" '{email:$e,password:$p}')" 2>/dev/null)"; then
  :
else
  session="$(trpc POST auth.login "$(jq -nc --arg e "$EMAIL" --arg p "$PASSWORD" '{email:$e,password:$p}')")"
fi
TOKEN="$(jq -r '.accessToken' <<<"$session")"
[[ -n "$TOKEN" && "$TOKEN" != null ]] || fail "no access token"

step "create model"
model_name="it-$(date +%s)"
model_id="$(trpc POST model.create "{\"name\":\"$model_name\"}" | jq -r '.id')"

step "create version v1 of $model_name"
version_id="$(trpc POST version.create "{\"modelId\":\"$model_id\",\"tag\":\"v1\",\"framework\":\"onnx\"}" | jq -r '.id')"

step "upload $(basename "$MODEL_FILE")"
upload="$(curl -sS -X PUT -H "authorization: Bearer $TOKEN" -H 'content-type: application/octet-stream' \
  --data-binary "@$MODEL_FILE" -w '\n%{http_code}' \
  "$BASE_URL/api/v1/versions/$version_id/artifact?filename=model.onnx")"
code="$(tail -n1 <<<"$upload")"
[[ "$code" == 2* ]] || fail "upload answered $code: $(head -n -1 <<<"$upload")"
status="$(trpc GET version.get "{\"id\":\"$version_id\"}" | jq -r '.status')"
[[ "$status" == ready ]] || fail "version is $status after the upload, expected ready"

step "deploy"
DEPLOYMENT_ID="$(trpc POST deployment.create "{\"versionId\":\"$version_id\",\"name\":\"$model_name\"}" | jq -r '.id')"

step "wait for running (up to ${WAIT_SECONDS}s)"
deadline=$((SECONDS + WAIT_SECONDS))
while :; do
  deployment="$(trpc GET deployment.get "{\"id\":\"$DEPLOYMENT_ID\"}")"
  status="$(jq -r '.status' <<<"$deployment")"
  [[ "$status" == running ]] && break
  [[ "$status" == failed ]] && fail "deployment failed: $(jq -r '.statusMessage' <<<"$deployment")"
  ((SECONDS < deadline)) || fail "deployment still $status after ${WAIT_SECONDS}s"
  sleep 0.5
done

step "create an API key for predictions"
key="$(trpc POST apiKey.create "{\"name\":\"integration $model_name\",\"kind\":\"predict\",\"deploymentIds\":[\"$DEPLOYMENT_ID\"]}" | jq -r '.secret')"

step "predict with the API key"
prediction="$(curl -sS -X POST -H "authorization: Bearer $key" -H 'content-type: application/json' \
  -d '{"instances":[[5.1,3.5,1.4,0.2],[6.7,3.0,5.2,2.3]]}' -w '\n%{http_code}' \
  "$BASE_URL/api/v1/predict/$DEPLOYMENT_ID")"
code="$(tail -n1 <<<"$prediction")"
body="$(head -n -1 <<<"$prediction")"
[[ "$code" == 200 ]] || fail "prediction answered $code: $body"
count="$(jq '.predictions | length' <<<"$body")"
[[ "$count" == 2 ]] || fail "expected 2 predictions, got: $body"
echo "    $body"

step "predict without a key is refused"
code="$(curl -sS -o /dev/null -w '%{http_code}' -X POST -H 'content-type: application/json' \
  -d '{"instances":[[5.1,3.5,1.4,0.2]]}' "$BASE_URL/api/v1/predict/$DEPLOYMENT_ID")"
[[ "$code" == 401 ]] || fail "expected 401 without a key, got $code"

step "delete"
trpc POST deployment.delete "{\"id\":\"$DEPLOYMENT_ID\"}" >/dev/null
DEPLOYMENT_ID=""
trpc POST version.delete "{\"id\":\"$version_id\"}" >/dev/null
trpc POST model.delete "{\"id\":\"$model_id\"}" >/dev/null

echo "PASS: integration test against $BASE_URL"
