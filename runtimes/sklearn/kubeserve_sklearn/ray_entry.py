"""Ray Serve entry module: a thin Ray wrapper around ray_replica.ReplicaHost (the shared handlers).

The API writes `import_path: kubeserve_sklearn.ray_entry:app` (an application builder: Ray calls it
with the application's `args`: deployment_id, model_name, generation, artifact_url — a short-lived
signed URL to the API —, artifact_sha256, token_sha256) and `user_config` (batching, max_batch_size,
batch_wait_timeout_s), which Ray hands to `reconfigure` after __init__ and on every change.
`ray` is imported only when it is installed, so everything below the wrapper is tested without Ray.
Ray's Serve proxy has no authentication: only the API may reach it, and each request must carry the
replica token (X-KubeServe-Token) whose SHA-256 is in the args (see the README).
"""

from __future__ import annotations

from typing import Any

from .ray_replica import call_asgi, strip_prefix  # noqa: F401 - re-exported: the wrapper's helpers

try:
    from ray import serve  # type: ignore[import-not-found]

    _HAS_RAY = True
except ImportError:
    _HAS_RAY = False


if _HAS_RAY:

    @serve.deployment(name="KubeServeModel")
    class KubeServeModel:
        def __init__(self, args: dict[str, Any]) -> None:
            from .ray_metrics import RayMetrics
            from .ray_replica import ReplicaHost

            self.host = ReplicaHost(args, RayMetrics)

        def reconfigure(self, user_config: dict[str, Any]) -> None:
            self.host.reconfigure(user_config)

        def check_health(self) -> None:
            self.host.check_health()

        async def __call__(self, request: Any) -> Any:
            from starlette.responses import Response

            scope = request.scope
            # The ASGI scope, not request.url: Ray versions differ on root_path (the route prefix), and
            # starlette versions on whether url.path adds it; strip_prefix takes the path with or without it.
            status, headers, body = await self.host.handle(
                scope["method"],
                scope["path"],
                scope.get("query_string", b""),
                list(scope.get("headers", [])),
                await request.body(),
            )
            return Response(
                body, status_code=status, headers={k.decode("latin-1"): v.decode("latin-1") for k, v in headers}
            )

    def app_builder(args: dict[str, Any]) -> Any:
        return KubeServeModel.bind(dict(args))

    app = app_builder
