"""The Ray Serve entry module's request handling, without Ray (it is not installed here)."""

import asyncio
import unittest

from kubeserve_sklearn import ray_entry


async def echo_app(scope, receive, send):
    message = await receive()
    await send({"type": "http.response.start", "status": 200, "headers": [(b"x-path", scope["path"].encode())]})
    await send({"type": "http.response.body", "body": scope["method"].encode() + b" " + message["body"]})


class RayEntryTest(unittest.TestCase):
    def test_strips_only_our_route_prefix(self):
        prefix = "/kubeserve/0190a6f2-8000-7000-8000-0000000000a1"
        self.assertEqual(ray_entry.strip_prefix(prefix + "/v2/models/iris/infer", prefix), "/v2/models/iris/infer")
        self.assertEqual(ray_entry.strip_prefix(prefix, prefix), "/")
        self.assertEqual(ray_entry.strip_prefix(prefix + "x/v2", prefix), prefix + "x/v2")
        self.assertEqual(ray_entry.strip_prefix("/other/v2", prefix), "/other/v2")

    def test_runs_a_request_through_the_asgi_handlers(self):
        status, headers, body = asyncio.run(
            ray_entry.call_asgi(echo_app, "POST", "/v2/models/iris/infer", b"", [], b'{"inputs":[]}')
        )
        self.assertEqual(status, 200)
        self.assertIn((b"x-path", b"/v2/models/iris/infer"), headers)
        self.assertEqual(body, b'POST {"inputs":[]}')

    def test_imports_without_ray(self):
        self.assertFalse(ray_entry._HAS_RAY)
        self.assertFalse(hasattr(ray_entry, "app"))


if __name__ == "__main__":
    unittest.main()
