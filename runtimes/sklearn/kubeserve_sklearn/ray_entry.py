"""Ray Serve entry module: the scikit-learn runtime's own ASGI handlers behind a thin Ray wrapper.

The API writes `import_path: kubeserve_sklearn.ray_entry:app` with `args` (deployment_id, model_name,
artifact_url: a short-lived signed URL to the API, artifact_sha256) and `user_config` (batching).
`ray` is imported only when it is installed, so the request handling is tested without Ray.
Ray's Serve proxy has no authentication: only the API may reach it (see the README).
"""

from __future__ import annotations

from typing import Any, Awaitable, Callable

TAsgi = Callable[[dict[str, Any], Any, Any], Awaitable[None]]


def strip_prefix(path: str, prefix: str) -> str:
    """Ray hands the full path to the replica; the shared handlers expect it without the route prefix."""
    if prefix and (path == prefix or path.startswith(prefix + "/")):
        return path[len(prefix):] or "/"
    return path


async def call_asgi(
    app: TAsgi, method: str, path: str, query: bytes, headers: list[tuple[bytes, bytes]], body: bytes
) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    """Runs one request through an ASGI app and collects its answer (status, headers, body)."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "path": path,
        "raw_path": path.encode(),
        "query_string": query,
        "headers": headers,
        "scheme": "http",
        "server": ("ray", 8000),
        "client": ("ray-proxy", 0),
    }
    sent = False
    out: dict[str, Any] = {"status": 500, "headers": [], "body": bytearray()}

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            out["status"] = message["status"]
            out["headers"] = list(message.get("headers", []))
        elif message["type"] == "http.response.body":
            out["body"] += message.get("body", b"")

    await app(scope, receive, send)
    return out["status"], out["headers"], bytes(out["body"])


def _build_state(model_name: str, metrics: Any) -> Any:
    from .app import State

    # No bearer token: the gateway authenticated the caller; Ray's proxy carries no credentials.
    return State(model_name, "1", metrics, None, 33_554_432)


try:  # pragma: no cover - only on a Ray cluster
    from ray import serve  # type: ignore[import-not-found]

    _HAS_RAY = True
except ImportError:
    _HAS_RAY = False


if _HAS_RAY:  # pragma: no cover - not run here: no Ray on these machines

    @serve.deployment(name="KubeServeModel")
    class KubeServeModel:
        def __init__(self, deployment_id: str, model_name: str, artifact_url: str, artifact_sha256: str, **_: Any) -> None:
            import tempfile

            from .app import create_app
            from .fetch import fetch_to

            self.prefix = f"/kubeserve/{deployment_id}"
            out = tempfile.mkdtemp(prefix="kubeserve-") + "/model.joblib"
            # The signed URL carries its own credential; sha256 is verified by fetch_to.
            fetch_to(artifact_url, artifact_sha256, out, None)
            self.artifact = out
            self.state = _build_state(model_name, None)
            self.app = create_app(self.state)

        def reconfigure(self, user_config: dict[str, Any]) -> None:
            self.user_config = user_config

        async def __call__(self, request: Any) -> Any:
            from starlette.responses import Response  # type: ignore[import-not-found]

            status, headers, body = await call_asgi(
                self.app,
                request.method,
                strip_prefix(request.url.path, self.prefix),
                request.url.query.encode(),
                [(k.encode(), v.encode()) for k, v in request.headers.items()],
                await request.body(),
            )
            return Response(body, status_code=status, headers={k.decode(): v.decode() for k, v in headers})

    def app_builder(args: dict[str, Any]) -> Any:
        return KubeServeModel.bind(**args)

    app = app_builder
