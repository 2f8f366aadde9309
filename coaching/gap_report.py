"""The new-hire vs veteran gap report from a verdict CSV (``flask --app wsgi gap-report``).

Input CSV (UTF-8, a BOM is fine; GB18030/GBK as Excel saves it in China is read too), header row
required, column order free, extra columns ignored, names case-insensitive::

    agent,cohort,criterion,result,date
    A017,new,greeting,pass,2026-03-02

``cohort`` is ``new`` or ``veteran``, ``result`` is ``pass``, ``fail`` or ``na`` (both case-insensitive),
``date`` is an ISO date (a date-time is accepted). Each row is one verdict; rows are not deduplicated.

Output, per criterion, sorted by ``gap`` descending (criteria without enough data last, by name)::

    criterion, new_rate, veteran_rate, gap, ci_low, ci_high, n_new, n_veteran, enough_data

Rates are fractions 0..1 over the non-N/A rows; ``gap = veteran_rate - new_rate``; ``ci_low``/``ci_high``
bound the gap (Newcombe hybrid score interval, 95%). ``n_*`` count the non-N/A rows. A cohort with fewer
than ``min_sample`` rows has a null rate; unless both have enough, ``enough_data`` is false and ``gap``,
``ci_low`` and ``ci_high`` are null.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from coaching.gaps import DEFAULT_MIN_SAMPLE, criterion_gaps
from coaching.verdicts import Verdict

__all__ = [
    "COLUMNS",
    "CsvProblem",
    "GapReportInputError",
    "decode",
    "format_table",
    "gap_report",
    "parse_verdicts_csv",
]

COLUMNS: tuple[str, ...] = ("agent", "cohort", "criterion", "result", "date")
COHORTS: tuple[str, ...] = ("new", "veteran")
RESULT_VALUES: tuple[str, ...] = ("pass", "fail", "na")
MAX_REPORTED = 20


@dataclass(frozen=True, slots=True)
class CsvProblem:
    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


class GapReportInputError(ValueError):
    """The CSV cannot be used; ``problems`` lists every bad line (the message shows the first 20)."""

    def __init__(self, problems: Iterable[CsvProblem]) -> None:
        self.problems = tuple(problems)
        lines = [str(p) for p in self.problems[:MAX_REPORTED]]
        if len(self.problems) > MAX_REPORTED:
            lines.append(f"... and {len(self.problems) - MAX_REPORTED} more bad lines")
        super().__init__("\n".join(lines))


def decode(data: bytes) -> str:
    """CSV bytes to text: UTF-8 (with or without BOM), else GB18030 (a superset of GBK)."""
    if b"\x00" in data:
        raise GapReportInputError([CsvProblem(1, "not a text file (NUL bytes); expected a CSV")])
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError as exc:
        raise GapReportInputError([CsvProblem(1, "cannot decode the file as UTF-8 or GB18030 text")]) from exc


def parse_verdicts_csv(text: str) -> list[Verdict]:
    """Verdicts from the CSV text; raises :class:`GapReportInputError` listing every bad line."""
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""))
    problems: list[CsvProblem] = []
    verdicts: list[Verdict] = []
    index: dict[str, int] | None = None
    end = 0  # physical line on which the previous record ended
    while True:
        start = end + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            problems.append(CsvProblem(reader.line_num, f"unreadable CSV: {exc}"))
            end = reader.line_num
            continue
        end = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if index is None:
            names = [cell.strip().lower() for cell in row]
            missing = [c for c in COLUMNS if c not in names]
            if missing:
                raise GapReportInputError(
                    [
                        CsvProblem(
                            start,
                            f"missing column(s) {', '.join(missing)} in the header; "
                            f"expected {','.join(COLUMNS)}",
                        )
                    ]
                )
            index = {c: names.index(c) for c in COLUMNS}
            continue
        verdict = _row(row, index, start, problems)
        if verdict is not None:
            verdicts.append(verdict)
    if index is None and not problems:
        problems.append(CsvProblem(1, f"empty file; expected a header {','.join(COLUMNS)}"))
    if problems:
        raise GapReportInputError(problems)
    return verdicts


def _row(row: list[str], index: dict[str, int], line: int, problems: list[CsvProblem]) -> Verdict | None:
    values = {c: (row[i].strip() if i < len(row) else "") for c, i in index.items()}
    bad = len(problems)
    for c in ("agent", "criterion"):
        if not values[c]:
            problems.append(CsvProblem(line, f"empty {c}"))
    cohort, result = values["cohort"].lower(), values["result"].lower()
    if cohort not in COHORTS:
        problems.append(CsvProblem(line, f"cohort must be 'new' or 'veteran', got {values['cohort']!r}"))
    if result not in RESULT_VALUES:
        problems.append(CsvProblem(line, f"result must be 'pass', 'fail' or 'na', got {values['result']!r}"))
    try:
        at = datetime.fromisoformat(values["date"])
    except ValueError:
        problems.append(CsvProblem(line, f"date must be YYYY-MM-DD, got {values['date']!r}"))
    if len(problems) > bad:
        return None
    return Verdict(
        agent_id=values["agent"],
        cohort=cohort,
        criterion=values["criterion"],
        result=result,  # type: ignore[arg-type]  # checked against RESULT_VALUES above
        at=at,
    )


def gap_report(
    verdicts: Iterable[Verdict], *, min_sample: int = DEFAULT_MIN_SAMPLE, confidence: float = 0.95
) -> list[dict[str, Any]]:
    """The JSON rows: one object per criterion, largest gap first (see the module docstring)."""
    rows = []
    for g in criterion_gaps(
        verdicts, reference="veteran", cohorts=("new",), min_sample=min_sample, confidence=confidence
    ):
        rows.append(
            {
                "criterion": g.criterion,
                "new_rate": g.value,
                "veteran_rate": g.reference_value,
                "gap": g.gap,
                "ci_low": g.ci.low if g.ci else None,
                "ci_high": g.ci.high if g.ci else None,
                "n_new": g.n,
                "n_veteran": g.n_reference,
                "enough_data": g.enough_data,
            }
        )
    return rows


def _width(text: str) -> int:
    """Terminal columns of ``text`` (CJK characters take two)."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - _width(text))


def format_table(rows: list[dict[str, Any]], *, min_sample: int = DEFAULT_MIN_SAMPLE) -> str:
    """The rows as a plain-text table (percentages; gap and interval in percentage points)."""
    if not rows:
        return "no criteria in the file"

    def pct(v: float | None) -> str:
        return "-" if v is None else f"{100 * v:.1f}%"

    def pts(v: float) -> str:
        return f"{100 * v:+.1f}"

    header = ["criterion", "new", "veteran", "gap", "95% CI", "n_new", "n_veteran"]
    body = []
    for r in rows:
        if r["enough_data"]:
            gap, ci = pts(r["gap"]), f"[{pts(r['ci_low'])}, {pts(r['ci_high'])}]"
        else:
            gap, ci = "not enough data", ""
        body.append(
            [
                r["criterion"],
                pct(r["new_rate"]),
                pct(r["veteran_rate"]),
                gap,
                ci,
                str(r["n_new"]),
                str(r["n_veteran"]),
            ]
        )
    widths = [max(_width(line[i]) for line in [header, *body]) for i in range(len(header))]
    lines = [
        "  ".join(_pad(cell, w) for cell, w in zip(line, widths, strict=True)).rstrip()
        for line in [header, *body]
    ]
    lines.append(
        f"gap = veteran - new pass rate, in percentage points; N/A rows left out; "
        f"a cohort needs at least {min_sample} scored rows per criterion"
    )
    return "\n".join(lines)
