"""The replica token as the gateway and the Kubernetes service proxy send it, and public health probes."""

from __future__ import annotations

import json
import unittest

from .helpers import TOKEN, Server, model_path

ROW = [6.8, 3.0, 5.5, 2.1]
BODY = json.dumps({"instances": [ROW]})
PATHS = [("GET", "/v2/health/live"), ("GET", "/v2/health/ready"), ("GET", "/v2/models/iris"), ("POST", "/predict"), ("GET", "/metrics")]


class AlternativeHeaderTest(unittest.TestCase):
    server: Server

    @classmethod
    def setUpClass(cls) -> None:
        cls.server = Server(model_path("iris-logreg"), "--name", "iris", env={"KUBESERVE_AUTH_TOKEN": TOKEN})

    @classmethod
    def tearDownClass(cls) -> None:
        cls.server.stop()

    def send(self, method: str, path: str, headers: dict[str, str]) -> int:
        status, _, _ = self.server.request(method, path, BODY if method == "POST" else None, headers)
        return status

    def test_x_kubeserve_token_alone_is_accepted_on_every_path(self) -> None:
        for method, path in PATHS:
            with self.subTest(f"{method} {path}"):
                self.assertEqual(self.send(method, path, {"x-kubeserve-token": TOKEN}), 200)

    def test_wrong_alternative_tokens_are_refused(self) -> None:
        wrong = [TOKEN[:-1], TOKEN + "x", f"Bearer {TOKEN}", TOKEN.upper(), ""]
        for value in wrong:
            for method, path in PATHS:
                with self.subTest(f"{value!r} {method} {path}"):
                    self.assertEqual(self.send(method, path, {"x-kubeserve-token": value}), 401)

    def test_a_wrong_authorization_is_not_rescued_by_a_right_alternative(self) -> None:
        headers = {"authorization": "Bearer wrong-token-wrong-token", "x-kubeserve-token": TOKEN}
        self.assertEqual(self.send("POST", "/predict", headers), 401)

    def test_health_is_not_public_by_default(self) -> None:
        self.assertEqual(self.send("GET", "/v2/health/live", {}), 401)


class PublicHealthTest(unittest.TestCase):
    server: Server

    @classmethod
    def setUpClass(cls) -> None:
        cls.server = Server(
            model_path("iris-logreg"),
            "--name",
            "iris",
            env={"KUBESERVE_AUTH_TOKEN": TOKEN, "KUBESERVE_PUBLIC_HEALTH": "true"},
        )

    @classmethod
    def tearDownClass(cls) -> None:
        cls.server.stop()

    def test_only_the_two_health_paths_answer_without_the_token(self) -> None:
        for path in ("/v2/health/live", "/v2/health/ready"):
            status, _, _ = self.server.request("GET", path)
            self.assertEqual(status, 200, path)
        for method, path in [("GET", "/v2/models/iris"), ("GET", "/v2/models/iris/ready"), ("POST", "/predict"), ("GET", "/metrics"), ("GET", "/health")]:
            with self.subTest(f"{method} {path}"):
                status, _, _ = self.server.request(method, path, BODY if method == "POST" else None)
                self.assertEqual(status, 401)

    def test_the_flag_overrides_the_variable_and_bad_values_exit_2(self) -> None:
        from kubeserve_sklearn.config import ConfigError, load_config

        config = load_config(["--model", "m.joblib", "--public-health", "false"], {"KUBESERVE_PUBLIC_HEALTH": "true"})
        self.assertFalse(getattr(config, "public_health"))
        with self.assertRaisesRegex(ConfigError, "KUBESERVE_PUBLIC_HEALTH"):
            load_config(["--model", "m.joblib"], {"KUBESERVE_PUBLIC_HEALTH": "yes"})


if __name__ == "__main__":
    unittest.main()
