"""Tables shown on a page and exported as CSV or XLSX from the very same rows.

A :class:`Table` holds plain values (text, whole numbers, decimals, dates or None). The page renders
it; :func:`send` exports it:

* CSV: UTF-8 with a byte-order mark (Excel in China opens it as UTF-8 instead of GBK), CRLF line ends,
  None as an empty cell.
* XLSX (openpyxl): one sheet, a bold frozen header row, numbers as numbers.

Spreadsheet formula injection: a **text** cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return is prefixed with a single quote, so ``=HYPERLINK(...)`` in an agent's name or a queue
is shown, never evaluated. Numbers are written as numbers (a negative gap stays a number).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime

from flask import Response

FORMATS = ("csv", "xlsx")
_DANGEROUS = ("=", "+", "-", "@", "\t", "\r")
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


def escape_cell(value: Cell) -> Cell:
    """Neutralise a text cell a spreadsheet would read as a formula; other values are returned as they are."""
    if isinstance(value, str) and value.startswith(_DANGEROUS):
        return "'" + value
    return value


def _text(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="minutes")
    if isinstance(value, date):
        return value.isoformat()
    return str(escape_cell(value))


def csv_bytes(table: Table) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([_text(c.label) for c in table.columns])
    for row in table.rows:
        writer.writerow([_text(v) for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


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
        cell = WriteOnlyCell(ws, value=_text(c.label))
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
    return _text(value)


def filename(*parts: object) -> str:
    """A safe download name from parts (dates, keys)."""
    name = "-".join(str(p) for p in parts if p not in (None, ""))
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name)[:120] or "export"


MIMETYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def send(table: Table, fmt: str, name: str) -> Response:
    """The table as a download (``fmt`` is csv or xlsx)."""
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {FORMATS}")
    body = csv_bytes(table) if fmt == "csv" else xlsx_bytes(table)
    resp = Response(body, mimetype=MIMETYPES[fmt])
    resp.headers["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    resp.headers["Cache-Control"] = "private, no-store"
    return resp
