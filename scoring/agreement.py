"""Inter-rater agreement for calibration sessions (issue #8 parts 5 and 8).

Input is a flat list of ratings ``(unit, rater, criterion, value)``: a *unit* is one evaluated call,
a *rater* one reviewer, a *value* ``pass`` / ``fail`` / ``na`` or a number (points).

Per criterion (:func:`criterion_agreement`):

* **level**: ``nominal`` when every value of the criterion is pass/fail/na (N/A is a category of its
  own), ``interval`` when every value is a number. A criterion mixing both is an :class:`AgreementError`.
* Units rated by fewer than two raters on that criterion are left out (they have no pairable values);
  ``n_units`` counts the units kept, ``n_raters`` the distinct raters who rated at least one of them.
* **alpha**: Krippendorff's alpha, ``1 - D_o / D_e`` over the coincidence matrix of the pairable values,
  with the nominal metric (0 when equal, 1 otherwise) or the interval metric ``(c - k)**2``.
  Computed here in pure Python and tested against the ``krippendorff`` package (1e-9) and the worked
  examples of Krippendorff (2011), *Computing Krippendorff's Alpha-Reliability*.
  When every pairable value is the same, ``D_e = 0`` and alpha is **undefined** (0/0): ``alpha`` is
  ``None`` and ``note`` says why (the ``krippendorff`` package refuses such data with a ValueError).
  The same when no unit has two raters.
* **percent_agreement**: for each kept unit with ``m`` values, the share of its ``m*(m-1)/2`` rater pairs
  that gave exactly the same value (numbers: equal as numbers, so ``2`` and ``2.0`` agree), averaged over
  the kept units with equal weight per unit. A fraction in [0, 1]; ``None`` when no unit is kept.

Also, for the calibration page: :func:`rater_deviations` (each rater against the consensus of the
*other* raters of the same unit, and against an optional expert) and :func:`total_spreads` (the spread
of each unit's per-rater point totals).

Pure module: no web, no database.
"""

from __future__ import annotations

import csv
import io
import math
import re
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

Level = Literal["nominal", "interval"]
Value = str | float
CATEGORIES: tuple[str, ...] = ("pass", "fail", "na")
COLUMNS: tuple[str, ...] = ("unit", "rater", "criterion", "value")
_SYNONYMS = {"n/a": "na"}
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")

NOTE_NO_UNITS = "no unit was rated by two or more raters"
NOTE_NO_VARIATION = "no variation: every pairable value is the same, so alpha is undefined (0/0)"


class AgreementError(ValueError):
    """Bad ratings input; ``line`` is the 1-based line of the CSV file (header = line 1) when known."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(f"line {line}: {message}" if line is not None else message)
        self.message = message
        self.line = line


@dataclass(frozen=True, slots=True)
class Rating:
    unit: str
    rater: str
    criterion: str
    value: Value  # one of CATEGORIES, or a float
    line: int | None = None


@dataclass(frozen=True, slots=True)
class CriterionAgreement:
    criterion: str
    level: Level
    alpha: float | None
    percent_agreement: float | None
    n_units: int
    n_raters: int
    note: str | None = None  # why alpha is None

    def to_dict(self) -> dict[str, Any]:
        return {
            "criterion": self.criterion,
            "level": self.level,
            "alpha": self.alpha,
            "percent_agreement": self.percent_agreement,
            "n_units": self.n_units,
            "n_raters": self.n_raters,
            "note": self.note,
        }


# --- input -------------------------------------------------------------------------------------------


def parse_value(raw: str, line: int | None = None) -> Value | None:
    """``pass``/``fail``/``na`` (any case; ``n/a`` too), a finite decimal number, or None for an empty cell
    (a missing rating: the row is ignored)."""
    text = raw.strip()
    if not text:
        return None
    low = _SYNONYMS.get(text.lower(), text.lower())
    if low in CATEGORIES:
        return low
    if _NUMBER.fullmatch(text):
        number = float(text)
        if math.isfinite(number):
            return number
    raise AgreementError(f"value {raw!r} is neither pass/fail/na nor a number", line)


def read_ratings_csv(text: str) -> list[Rating]:
    """Parse CSV text with the columns ``unit,rater,criterion,value`` (any order, extra columns ignored).

    Raises :class:`AgreementError` for a missing column, an empty unit/rater/criterion, an unknown value
    or a repeated (unit, rater, criterion), naming the line. Empty values are missing ratings (skipped).
    """
    if text.startswith("\ufeff"):
        text = text[1:]
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise AgreementError("empty file: expected a header line " + ",".join(COLUMNS), 1) from None
    except csv.Error as exc:
        raise AgreementError(f"malformed CSV: {exc}", 1) from exc
    names = [h.strip().lower() for h in header]
    missing = [c for c in COLUMNS if c not in names]
    if missing:
        raise AgreementError(
            f"missing column(s) {', '.join(missing)}; the header must name {','.join(COLUMNS)}", 1
        )
    idx = {c: names.index(c) for c in COLUMNS}
    seen: dict[tuple[str, str, str], int] = {}
    out: list[Rating] = []
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise AgreementError(f"malformed CSV: {exc}", reader.line_num) from exc
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue  # blank line
        if len(row) <= max(idx.values()):
            raise AgreementError(f"expected {len(names)} fields, found {len(row)}", line)
        unit, rater, criterion = (row[idx[c]].strip() for c in ("unit", "rater", "criterion"))
        for name, cell in (("unit", unit), ("rater", rater), ("criterion", criterion)):
            if not cell:
                raise AgreementError(f"empty {name}", line)
        key = (unit, rater, criterion)
        if key in seen:
            raise AgreementError(
                f"duplicate rating: unit {unit!r}, rater {rater!r}, criterion {criterion!r} "
                f"was already given on line {seen[key]}",
                line,
            )
        seen[key] = line
        value = parse_value(row[idx["value"]], line)
        if value is not None:
            out.append(Rating(unit, rater, criterion, value, line))
    return out


# --- the statistics on plain data ---------------------------------------------------------------------


def _delta2(level: Level, c: Value, k: Value) -> float:
    if level == "nominal":
        return 0.0 if c == k else 1.0
    return (float(c) - float(k)) ** 2  # type: ignore[arg-type]


def _pairable(units: Iterable[Sequence[Value]]) -> list[Sequence[Value]]:
    return [u for u in units if len(u) >= 2]


def coincidences(units: Iterable[Sequence[Value]]) -> dict[tuple[Value, Value], float]:
    """Krippendorff's coincidence matrix ``o[c, k] = sum_u (#(c, k) pairs in u) / (m_u - 1)``."""
    o: dict[tuple[Value, Value], float] = defaultdict(float)
    for values in _pairable(units):
        counts = Counter(values)
        m = len(values)
        for c, nc in counts.items():
            for k, nk in counts.items():
                pairs = nc * (nk - 1) if c == k else nc * nk
                if pairs:
                    o[(c, k)] += pairs / (m - 1)
    return dict(o)


def krippendorff_alpha(units: Iterable[Sequence[Value]], level: Level) -> float | None:
    """Alpha of the values of each unit (missing ratings simply absent); None when undefined
    (no pairable unit, or no variation among the pairable values)."""
    o = coincidences(units)
    if not o:
        return None
    n_c: dict[Value, float] = defaultdict(float)
    for (c, _k), v in o.items():
        n_c[c] += v
    n = sum(n_c.values())
    observed = sum(v * _delta2(level, c, k) for (c, k), v in o.items()) / n
    values = list(n_c)
    expected = sum(
        n_c[c] * n_c[k] * _delta2(level, c, k) for i, c in enumerate(values) for k in values[i + 1 :]
    )
    expected = 2 * expected / (n * (n - 1))
    if expected == 0:
        return None
    return 1.0 - observed / expected


def percent_agreement(units: Iterable[Sequence[Value]]) -> float | None:
    """Mean over units with two or more values of (agreeing rater pairs / all rater pairs)."""
    shares = []
    for values in _pairable(units):
        m = len(values)
        agreeing = sum(n * (n - 1) // 2 for n in Counter(values).values())
        shares.append(agreeing / (m * (m - 1) // 2))
    return sum(shares) / len(shares) if shares else None


# --- per criterion ------------------------------------------------------------------------------------


def _by_criterion(ratings: Iterable[Rating]) -> dict[str, list[Rating]]:
    out: dict[str, list[Rating]] = {}
    for r in ratings:
        out.setdefault(r.criterion, []).append(r)
    return out


def level_of(criterion: str, ratings: Sequence[Rating]) -> Level:
    """nominal (all pass/fail/na) or interval (all numbers); mixing is an error naming a line of each."""
    first_cat = next((r for r in ratings if isinstance(r.value, str)), None)
    first_num = next((r for r in ratings if not isinstance(r.value, str)), None)
    if first_cat is not None and first_num is not None:
        where = f" (line {first_cat.line}: {first_cat.value!r}; line {first_num.line}: {first_num.value:g})"
        raise AgreementError(
            f"criterion {criterion!r} mixes pass/fail/na and numbers{where if first_cat.line else ''}; "
            "use one kind of value per criterion",
            max(first_cat.line or 0, first_num.line or 0) or None,
        )
    return "nominal" if first_num is None else "interval"


def _units(ratings: Sequence[Rating]) -> dict[str, dict[str, Value]]:
    units: dict[str, dict[str, Value]] = {}
    for r in ratings:
        by_rater = units.setdefault(r.unit, {})
        if r.rater in by_rater:
            raise AgreementError(
                f"duplicate rating: unit {r.unit!r}, rater {r.rater!r}, criterion {r.criterion!r}", r.line
            )
        by_rater[r.rater] = r.value
    return units


def criterion_agreement(ratings: Iterable[Rating]) -> list[CriterionAgreement]:
    """One result per criterion, in the order criteria first appear in ``ratings``."""
    results = []
    for criterion, rows in _by_criterion(ratings).items():
        level = level_of(criterion, rows)
        kept = {u: by_rater for u, by_rater in _units(rows).items() if len(by_rater) >= 2}
        values = [list(by_rater.values()) for by_rater in kept.values()]
        raters = {rater for by_rater in kept.values() for rater in by_rater}
        alpha = krippendorff_alpha(values, level)
        note = None
        if not kept:
            note = NOTE_NO_UNITS
        elif alpha is None:
            note = NOTE_NO_VARIATION
        results.append(
            CriterionAgreement(
                criterion, level, alpha, percent_agreement(values), len(kept), len(raters), note
            )
        )
    return results


# --- raters against the consensus and the expert ----------------------------------------------------


@dataclass(frozen=True, slots=True)
class RaterDeviation:
    """One rater on one criterion, compared over the units they share with others.

    nominal: ``disagreement`` = share of compared units where the rater's value differs from the
    reference; interval: ``mean_deviation`` (signed: positive = more generous) and ``mean_abs_deviation``.
    ``reference`` is ``"consensus"`` (the majority value / the mean of the *other* raters of the unit; a
    unit whose other raters tie for the majority is not compared) or ``"expert"``.
    """

    rater: str
    criterion: str
    level: Level
    reference: Literal["consensus", "expert"]
    n_units: int
    disagreement: float | None = None
    mean_deviation: float | None = None
    mean_abs_deviation: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "rater": self.rater,
            "criterion": self.criterion,
            "level": self.level,
            "reference": self.reference,
            "n_units": self.n_units,
            "disagreement": self.disagreement,
            "mean_deviation": self.mean_deviation,
            "mean_abs_deviation": self.mean_abs_deviation,
        }


def _consensus(level: Level, values: Sequence[Value]) -> Value | None:
    if not values:
        return None
    if level == "interval":
        return statistics.fmean(float(v) for v in values)  # type: ignore[arg-type]
    ranked = Counter(values).most_common()
    if len(ranked) > 1 and ranked[0][1] == ranked[1][1]:
        return None  # tie: no majority
    return ranked[0][0]


def _deviation(
    rater: str, criterion: str, level: Level, reference: Literal["consensus", "expert"], pairs
) -> RaterDeviation:
    pairs = list(pairs)
    if not pairs:
        return RaterDeviation(rater, criterion, level, reference, 0)
    if level == "nominal":
        return RaterDeviation(
            rater,
            criterion,
            level,
            reference,
            len(pairs),
            disagreement=sum(v != r for v, r in pairs) / len(pairs),
        )
    diffs = [float(v) - float(r) for v, r in pairs]
    return RaterDeviation(
        rater,
        criterion,
        level,
        reference,
        len(pairs),
        mean_deviation=statistics.fmean(diffs),
        mean_abs_deviation=statistics.fmean(abs(d) for d in diffs),
    )


def rater_deviations(ratings: Iterable[Rating], expert: str | None = None) -> list[RaterDeviation]:
    """Each rater against the consensus of the other raters and, with ``expert``, against the expert
    (the expert is compared with nobody). Sorted by criterion (first appearance), then rater."""
    out: list[RaterDeviation] = []
    for criterion, rows in _by_criterion(ratings).items():
        level = level_of(criterion, rows)
        units = _units(rows)
        raters = sorted({r.rater for r in rows})
        for rater in raters:
            if rater == expert:
                continue
            mine = [(u, by_rater) for u, by_rater in units.items() if rater in by_rater]
            vs_consensus = []
            for _u, by_rater in mine:
                ref = _consensus(level, [v for other, v in by_rater.items() if other != rater])
                if ref is not None:
                    vs_consensus.append((by_rater[rater], ref))
            out.append(_deviation(rater, criterion, level, "consensus", vs_consensus))
            if expert is not None:
                pairs = [(b[rater], b[expert]) for _u, b in mine if expert in b]
                out.append(_deviation(rater, criterion, level, "expert", pairs))
    return out


# --- totals ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class UnitSpread:
    """The per-rater point totals of one unit: the sum of each rater's numeric values on the unit's
    numeric criteria, over the raters who rated all of them (pass/fail/na criteria are not summed)."""

    unit: str
    totals: Mapping[str, float]
    minimum: float
    maximum: float
    spread: float  # maximum - minimum
    stdev: float  # population standard deviation of the totals

    def to_dict(self) -> dict[str, Any]:
        return {
            "unit": self.unit,
            "totals": dict(self.totals),
            "min": self.minimum,
            "max": self.maximum,
            "spread": self.spread,
            "stdev": self.stdev,
        }


def total_spreads(ratings: Iterable[Rating]) -> list[UnitSpread]:
    """Units (first appearance order) with totals from two or more complete raters."""
    numeric: dict[str, dict[str, dict[str, float]]] = {}  # unit -> rater -> criterion -> value
    for r in ratings:
        if not isinstance(r.value, str):
            numeric.setdefault(r.unit, {}).setdefault(r.rater, {})[r.criterion] = float(r.value)
    out = []
    for unit, by_rater in numeric.items():
        criteria = set().union(*(set(c) for c in by_rater.values()))
        totals = {rater: sum(c.values()) for rater, c in by_rater.items() if set(c) == criteria}
        if len(totals) < 2:
            continue
        values = list(totals.values())
        lo, hi = min(values), max(values)
        out.append(UnitSpread(unit, totals, lo, hi, hi - lo, statistics.pstdev(values)))
    return out
