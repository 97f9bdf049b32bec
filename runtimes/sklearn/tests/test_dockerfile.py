"""The Kubernetes image recipe: Debian bookworm's packages for every import, non-root, HEALTHCHECK."""

from __future__ import annotations

import ast
import re
import subprocess
import unittest

from .helpers import REPO, RUNTIME

DOCKERFILE = REPO / "deploy" / "docker" / "runtime-sklearn.Dockerfile"
# import name -> the Debian package that provides it
PROVIDERS = {
    "numpy": "python3-numpy",
    "sklearn": "python3-sklearn",
    "scipy": "python3-scipy",
    "joblib": "python3-joblib",
    "uvicorn": "python3-uvicorn",
    "httptools": "python3-httptools",
    "uvloop": "python3-uvloop",
    "prometheus_client": "python3-prometheus-client",
    "pip": "python3-pip",
}


def third_party_imports() -> set[str]:
    names: set[str] = set()
    for path in (RUNTIME / "kubeserve_sklearn").glob("*.py"):
        # The Ray Serve modules (ray, onnxruntime) run on a Ray cluster's own image, never in this one.
        if path.name.startswith("ray_"):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    import sys

    return {n for n in names if n not in sys.stdlib_module_names and n != "kubeserve_sklearn"}


class DockerfileTest(unittest.TestCase):
    text = DOCKERFILE.read_text()

    def test_every_import_comes_from_an_apt_package_it_installs(self) -> None:
        imports = third_party_imports()
        self.assertLessEqual(imports, set(PROVIDERS), "an import without a Debian package in PROVIDERS")
        for name in imports:
            self.assertRegex(self.text, rf"\b{re.escape(PROVIDERS[name])}\b", name)
        self.assertIn("python3-venv", self.text)

    def test_bookworm_non_root_healthcheck_and_entrypoint(self) -> None:
        self.assertRegex(self.text, r"(?m)^FROM debian:bookworm-slim$")
        self.assertRegex(self.text, r"(?m)^USER 10001:10001$")
        self.assertRegex(self.text, r"(?m)^HEALTHCHECK .*\n\s+CMD \[.*/v2/health/live")
        self.assertIn('ENTRYPOINT ["dumb-init", "--", "python3", "-m", "kubeserve_sklearn"]', self.text)
        self.assertIn("install -d -o 10001 -g 10001 /models /opt/kubeserve/venv", self.text)
        self.assertNotRegex(self.text, r"pip install|curl |wget ")

    def test_copied_sources_exist_and_the_healthcheck_runs(self) -> None:
        for source in re.findall(r"(?m)^COPY (\S+) ", self.text):
            self.assertTrue((REPO / source).exists(), source)
        command = re.search(r'CMD \["python3", "-c", "(.*)"\]', self.text)
        assert command is not None
        # against a port where nothing listens, the check must fail (it is not a no-op)
        done = subprocess.run(["/usr/bin/python3", "-c", command.group(1)], env={"KUBESERVE_PORT": "9"}, capture_output=True)
        self.assertNotEqual(done.returncode, 0)


if __name__ == "__main__":
    unittest.main()
