"""has_literals: the text check that keeps numpy from turning true/false/null into numbers."""

from __future__ import annotations

import unittest

from kubeserve_sklearn.tensors import BadRequest, has_literals, read_v1_rows


class LiteralsTest(unittest.TestCase):
    def test_each_literal_is_found_and_plain_numbers_are_not(self) -> None:
        for literal in (b"true", b"false", b"null"):
            with self.subTest(literal=literal):
                self.assertTrue(has_literals(b'{"instances": [[1.5e-3, ' + literal + b"]]}"))
                self.assertTrue(has_literals(memoryview(b'{"inputs": [' + literal + b"]}")))
        self.assertFalse(has_literals(b'{"instances": [[1.5e-3, -2, 3E+4, 0.25]]}'))
        self.assertFalse(has_literals(b'{"parameters": {}, "outputs": [], "label": "x"}'))

    def test_a_boolean_row_value_is_refused_by_position(self) -> None:
        with self.assertRaisesRegex(BadRequest, r"\[0\]\[1\] must be a number \(FP64\), got boolean false"):
            read_v1_rows(b'{"instances": [[1, false, 3, 4]]}', 4)
        self.assertEqual(read_v1_rows(b'{"instances": [[1, 2, 3, 4]]}', 4).tolist(), [[1.0, 2.0, 3.0, 4.0]])


if __name__ == "__main__":
    unittest.main()
