"""Machine vs human: how often reviewers override the automated verdicts, per criterion, and why.

The data are the completed human reviews (purpose review, not superseded: after a dispute the ruling's
evaluation counts instead of the disputed one), on calls whose transcript is not flagged unreliable
(README "Unreliable transcripts": a verdict on an unreadable transcript says nothing about the rule).
Each item of a review carries the machine's answer it
started from (``machine_result`` / ``machine_points``) next to the reviewer's (``result`` / ``points``)
and, when they differ, the reviewer's ``reason``. Items without a machine answer are not compared.

Directions: pass→fail, fail→pass, →N/A (the machine answered pass or fail), N/A→ (the machine said N/A),
points (same result, other points). The override reasons are the feedback loop for tuning the rules:
the report links each criterion to its rubric definition and lists the reasons to read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from qa_app.db.models import COMPLETED, Call, Evaluation, Purpose, RaterType, RubricVersion, User
from qa_app.services import rubrics
from qa_app.services.evaluations import RESULTS
from rubrics.messages import Message, from_stored

DIRECTIONS = ("pass_to_fail", "fail_to_pass", "to_na", "from_na", "points")


@dataclass(frozen=True)
class Override:
    evaluation_id: int
    call_id: int
    criterion_id: str
    reviewer: str
    at: datetime | None
    direction: str
    machine_result: str
    machine_points: float | None
    result: str
    points: float | None
    reason: str
    machine_note: Message | str = ""  # a message (rendered in the reader's language); old rows: text
    evidence: tuple[str, ...] = ()  # the machine's quoted evidence


@dataclass
class CriterionRow:
    criterion_id: str
    title_zh: str = ""
    title_en: str = ""
    rubric_version_id: int | None = None  # newest version seen: where the rule is defined
    compared: int = 0
    agreed: int = 0
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(DIRECTIONS, 0))
    examples: list[Override] = field(default_factory=list)  # newest first

    @property
    def overrides(self) -> int:
        return self.compared - self.agreed

    @property
    def agreement_rate(self) -> float | None:
        return self.agreed / self.compared if self.compared else None

    @property
    def override_rate(self) -> float | None:
        return self.overrides / self.compared if self.compared else None

    def title(self, lang: str) -> str:
        return (
            self.title_en if lang.startswith("en") and self.title_en else self.title_zh
        ) or self.criterion_id


@dataclass
class Report:
    rows: list[CriterionRow]
    evaluations: int  # human reviews looked at

    @property
    def compared(self) -> int:
        return sum(r.compared for r in self.rows)

    @property
    def overrides(self) -> int:
        return sum(r.overrides for r in self.rows)


def direction(machine_result: str, machine_points, result: str, points) -> str | None:  # noqa: ANN001
    """How the reviewer's answer differs from the machine's (None: the same answer)."""
    if machine_result == result:
        if (
            result != "na"
            and machine_points is not None
            and points is not None
            and float(machine_points) != float(points)
        ):
            return "points"
        return None
    if result == "na":
        return "to_na"
    if machine_result == "na":
        return "from_na"
    return "pass_to_fail" if machine_result == "pass" else "fail_to_pass"


def _reviews(date_from: datetime | None, date_to: datetime | None):  # noqa: ANN202
    stmt = (
        select(Evaluation, User.display_name, RubricVersion)
        .outerjoin(User, User.id == Evaluation.rater_id)
        .join(RubricVersion, RubricVersion.id == Evaluation.rubric_version_id)
        .join(Call, Call.id == Evaluation.call_id)
        .where(
            Evaluation.purpose == Purpose.REVIEW,
            # the machine read an unreliable transcript: its disagreement says nothing about the rule
            Call.transcript_unreliable.is_(False),
            Evaluation.rater_type == RaterType.HUMAN,
            Evaluation.state.in_(COMPLETED),
            Evaluation.superseded.is_(False),
            Evaluation.submitted_at.is_not(None),
        )
    )
    if date_from is not None:
        stmt = stmt.where(Evaluation.submitted_at >= date_from)
    if date_to is not None:
        stmt = stmt.where(Evaluation.submitted_at < date_to)
    return stmt.order_by(Evaluation.submitted_at.desc(), Evaluation.id.desc())


def _overrides_of(ev: Evaluation, reviewer: str | None, only: str | None = None):  # noqa: ANN202
    """(criterion id, Override or None for an agreeing answer) for each compared item."""
    for cid, it in ev.items.items():
        if only is not None and cid != only:
            continue
        m, r = it.get("machine_result"), it.get("result")
        if m not in RESULTS or r not in RESULTS:
            continue
        d = direction(m, it.get("machine_points"), r, it.get("points"))
        if d is None:
            yield cid, None
            continue
        yield (
            cid,
            Override(
                evaluation_id=ev.id,
                call_id=ev.call_id,
                criterion_id=cid,
                reviewer=reviewer or "",
                at=ev.submitted_at,
                direction=d,
                machine_result=m,
                machine_points=it.get("machine_points"),
                result=r,
                points=it.get("points"),
                reason=(it.get("reason") or "").strip(),
                machine_note=from_stored(it.get("note_message") or it.get("note")),
                evidence=tuple(str(e.get("text", "")) for e in (it.get("evidence") or []) if e.get("text"))[
                    :3
                ],
            ),
        )


def build(
    db: Session, *, date_from: datetime | None = None, date_to: datetime | None = None, examples: int = 3
) -> Report:
    """The per-criterion table for reviews submitted in [date_from, date_to), most overridden first."""
    rows: dict[str, CriterionRow] = {}
    newest_version: dict[str, RubricVersion] = {}
    n = 0
    for ev, reviewer, version in db.execute(_reviews(date_from, date_to).execution_options(yield_per=500)):
        n += 1
        for cid, ov in _overrides_of(ev, reviewer):
            row = rows.setdefault(cid, CriterionRow(cid))
            row.compared += 1
            if ov is None:
                row.agreed += 1
            else:
                row.counts[ov.direction] += 1
                if len(row.examples) < examples:
                    row.examples.append(ov)
            seen = newest_version.get(cid)
            if seen is None or (version.rubric_key, version.version) > (seen.rubric_key, seen.version):
                newest_version[cid] = version
    titles: dict[int, dict] = {}
    for cid, row in rows.items():
        version = newest_version[cid]
        if version.id not in titles:
            titles[version.id] = rubrics.criterion_titles(version)
        t = titles[version.id].get(cid, {})
        row.title_zh, row.title_en, row.rubric_version_id = t.get("zh", ""), t.get("en", ""), version.id
    ordered = sorted(rows.values(), key=lambda r: (-(r.override_rate or 0.0), -r.compared, r.criterion_id))
    return Report(ordered, n)


def overrides(
    db: Session,
    criterion_id: str,
    *,
    date_from: datetime | None = None,
    date_to: datetime | None = None,
    limit: int = 200,
) -> tuple[list[Override], int]:
    """Every override of one criterion in the period, newest first (at most ``limit``) and the count."""
    found: list[Override] = []
    total = 0
    for ev, reviewer, _version in db.execute(_reviews(date_from, date_to).execution_options(yield_per=500)):
        for _cid, ov in _overrides_of(ev, reviewer, only=criterion_id):
            if ov is not None:
                total += 1
                if len(found) < limit:
                    found.append(ov)
    return found, total


def criterion_title(db: Session, criterion_id: str, version_id: int | None) -> dict[str, str]:
    version = db.get(RubricVersion, version_id) if version_id else rubrics.default_version(db)
    return rubrics.criterion_titles(version).get(criterion_id, {}) if version else {}


# --- CSV ---------------------------------------------------------------------------------------------------

CSV_HEADER = (
    "criterion_id", "title", "compared", "agreed", "agreement_rate", "overrides", "override_rate",
    "pass_to_fail", "fail_to_pass", "to_na", "from_na", "points_changed",
)  # fmt: skip


def csv_table(report: Report, *, lang: str = "zh") -> tuple[tuple[str, ...], list[list[object]]]:
    """The table for the CSV export: header and rows of plain values. The web layer writes them with
    ``qa_app.web.exports.csv_bytes``, which escapes cells a spreadsheet would run as formulas."""
    rows = [
        [
            r.criterion_id,
            r.title(lang),
            r.compared,
            r.agreed,
            "" if r.agreement_rate is None else f"{r.agreement_rate:.4f}",
            r.overrides,
            "" if r.override_rate is None else f"{r.override_rate:.4f}",
            *(r.counts[d] for d in DIRECTIONS),
        ]
        for r in report.rows
    ]
    return CSV_HEADER, rows
