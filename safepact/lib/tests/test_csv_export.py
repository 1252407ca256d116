import csv
import io

import pytest

from safepact.lib.csv_export import csv_lines, csv_safe, csv_text


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=cmd()", "'=cmd()"),
        ("+1", "'+1"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("'quoted", "''quoted"),
        ("plain = text", "plain = text"),
        (None, ""),
        (7, "7"),
    ],
)
def test_csv_safe_defuses_formulas(value, cell):
    assert csv_safe(value) == cell


def test_csv_lines_quote_and_defuse_every_cell():
    text = csv_text([["a", 'say "hi", then =1'], ["=cmd()", "line\nbreak"]])
    assert list(csv.reader(io.StringIO(text))) == [["a", 'say "hi", then =1'], ["'=cmd()", "line\nbreak"]]
    assert len(list(csv_lines([[1], [2]]))) == 2
