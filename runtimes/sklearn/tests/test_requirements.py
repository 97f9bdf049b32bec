"""requirements.txt validation through the CLI, with the line numbers of what is refused."""

from __future__ import annotations

import tempfile
import unittest
from pathlib import Path

from kubeserve_sklearn.requirements import parse_requirements

from .helpers import run_cli


class RequirementsTest(unittest.TestCase):
    def setUp(self) -> None:
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = Path(self.tmp.name)

    def tearDown(self) -> None:
        self.tmp.cleanup()

    def check(self, text: str | bytes) -> tuple[int, dict]:
        path = self.dir / "requirements.txt"
        path.write_bytes(text.encode() if isinstance(text, str) else text)
        code, answer, _ = run_cli("requirements", str(path))
        return code, answer

    def test_plain_lines_pass(self) -> None:
        code, answer = self.check(
            "# pinned\nnumpy>=1.20,<2\nScikit_Learn[alldeps] == 1.2.1 ; python_version >= '3.8'\n\njoblib  # inline comment\n"
        )
        self.assertEqual(code, 0, answer)
        names = [(r["line"], r["canonical"], r["specifier"]) for r in answer["requirements"]]
        self.assertEqual(names, [(2, "numpy", "<2,>=1.20"), (3, "scikit-learn", "==1.2.1"), (5, "joblib", "")])
        self.assertRegex(answer["hash"], r"^[0-9a-f]{64}$")

    def test_refused_lines_are_named_by_number(self) -> None:
        text = "\n".join(
            [
                "numpy",  # 1
                "-e git+https://example.com/x.git#egg=x",  # 2
                "--index-url https://evil.example/simple",  # 3
                "--extra-index-url=https://evil.example/simple",  # 4
                "--find-links /tmp/wheels",  # 5
                "https://example.com/pkg-1.0-py3-none-any.whl",  # 6
                "pkg @ https://example.com/pkg.whl",  # 7
                "./local/package",  # 8
                "/abs/path/pkg.tar.gz",  # 9
                "-r other.txt",  # 10
                "pkg-1.0-py3-none-any.whl",  # 11
                "file:///tmp/pkg",  # 12
                "ok-package==1.0",  # 13
            ]
        )
        code, answer = self.check(text)
        self.assertEqual(code, 2)
        self.assertFalse(answer["ok"])
        lines = {e["line"]: e["error"] for e in answer["errors"]}
        self.assertEqual(sorted(lines), [2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12])
        self.assertIn("editable", lines[2])
        self.assertIn("index options", lines[3])
        self.assertIn("index options", lines[4])
        self.assertIn("index options", lines[5])
        self.assertIn("URLs", lines[6])
        self.assertIn("URLs", lines[7])
        self.assertIn("local paths", lines[8])
        self.assertIn("local paths", lines[9])
        self.assertIn("includes", lines[10])
        self.assertIn("local paths", lines[11])
        self.assertIn("URLs", lines[12])

    def test_ten_thousand_lines_and_size(self) -> None:
        code, answer = self.check("\n".join(f"package{i}" for i in range(10_000)))
        self.assertEqual(code, 2)
        self.assertIn("10000 lines", answer["errors"][0]["error"])
        code, answer = self.check(b"a" * ((1 << 20) + 1))
        self.assertEqual(code, 2)
        self.assertIn("at most 1048576", answer["errors"][0]["error"])

    def test_duplicates_and_garbage(self) -> None:
        code, answer = self.check("numpy\nNumPy>=1\n$(rm -rf /)\n")
        self.assertEqual(code, 2)
        self.assertEqual([e["line"] for e in answer["errors"]], [2, 3])
        self.assertIn("already required on line 1", answer["errors"][0]["error"])

    def test_same_set_same_hash(self) -> None:
        a = parse_requirements(b"numpy>=1.20\njoblib\n")
        b = parse_requirements(b"JobLib\n\nnumpy >= 1.20 # why\n")
        c = parse_requirements(b"numpy>=1.21\njoblib\n")
        self.assertEqual(a.digest, b.digest)
        self.assertNotEqual(a.digest, c.digest)


if __name__ == "__main__":
    unittest.main()
