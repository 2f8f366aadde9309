"""Scorecards as the pages show them: one row per criterion, grouped by section, in rubric order.

Shared by the call page (the automated scorecard) and the review workspace (the reviewer's answers beside
the machine's). Everything a template needs is decided here, from the data: the title in the reader's
language (never an internal id), the machine verdict with its evidence split into *cited* turns and the
turns a rule only *searched* ("where we looked"), and whether a critical failure zeroed the row — so a
zeroed row never shows a "pass" badge beside 0 points.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rubrics import Criterion, Rubric
from scoring.model import Answer, Totals
from scoring.totals import compute

RESULTS = ("pass", "fail", "na")
# Evidence of scorecards stored before evidence carried the ``searched`` flag: the note's message code, or
# (before notes had codes) the start of its text.
_SEARCHED_CODES = frozenset({"evidence.searched", "evidence.searched_not_found", "trigger.no_response_here"})
_LEGACY_SEARCHED_NOTES = ("检索范围", "之后的回应中未找到")


def is_searched(e: dict[str, Any]) -> bool:
    """Evidence that only shows where a rule looked (not a fault said in that turn)."""
    if "searched" in e:
        return bool(e["searched"])
    code = (e.get("note_message") or {}).get("code") if isinstance(e.get("note_message"), dict) else None
    if code is not None:
        return code in _SEARCHED_CODES
    return str(e.get("note") or "").startswith(_LEGACY_SEARCHED_NOTES)


def split_evidence(evidence: list[dict[str, Any]] | None) -> tuple[list[dict], list[dict]]:
    cited, searched = [], []
    for e in evidence or ():
        (searched if is_searched(e) else cited).append(e)
    return cited, searched


@dataclass
class Row:
    """One criterion: rubric facts, the machine's verdict, and (in the workspace) the reviewer's answer."""

    criterion: Criterion
    section_id: str
    title: str
    guidance: str
    # the machine (None: manual criterion, or not scored yet)
    machine_result: str | None = None
    machine_points: float | None = None
    needs_review: bool = False
    confidence: float | None = None
    note: Any = ""  # a stored message dict, or the text of a note stored before notes had codes (|msg)
    cited: list[dict] = field(default_factory=list)
    searched: list[dict] = field(default_factory=list)
    # the answer that counts on this page (machine on the call page, reviewer in the workspace)
    result: str | None = None
    points: float | None = None
    earned: float | None = None
    zeroed: bool = False  # a critical failure zeroed this row's points
    # reviewer fields
    reason: str = ""
    comment: str = ""
    overridden: bool = False
    error: str = ""
    unsaved: dict | None = None  # after a conflict: what this reviewer had entered

    @property
    def id(self) -> str:
        return self.criterion.id

    @property
    def scale(self):  # noqa: ANN201
        return self.criterion.scale

    @property
    def automated(self) -> bool:
        return self.machine_result is not None


@dataclass
class SectionRows:
    id: str
    title: str
    weight: float
    share: float  # % of the rubric's weight
    score: float | None
    critical_failed: bool
    rows: list[Row]


@dataclass
class Scorecard:
    sections: list[SectionRows]
    total: float | None
    critical_failed: bool
    critical_failures: list[dict]  # {"title", "level"}
    answered: int
    count: int

    @property
    def rows(self) -> list[Row]:
        return [r for s in self.sections for r in s.rows]


def _title(c: Criterion, lang: str) -> str:
    return (c.title_en or c.title_zh) if lang == "en" else (c.title_zh or c.title_en)


def build(
    rubric: Rubric,
    lang: str,
    *,
    machine: dict[str, dict[str, Any]] | None = None,
    answers: dict[str, dict[str, Any]] | None = None,
) -> Scorecard:
    """``machine``: criterion id -> automated row (``result``, ``points``, ``evidence``, ``note``,
    ``needs_review``, ``confidence``, ``automated``); ``answers``: criterion id -> the answer that counts
    (``result``, ``points`` on the criterion's scale, and for a review ``reason``, ``comment``,
    ``overridden``). Without ``answers`` the machine's verdicts count (the call page)."""
    machine = machine or {}
    if answers is None:
        answers = {
            cid: {"result": m.get("result"), "points": m.get("scale_points")}
            for cid, m in machine.items()
            if m.get("automated", True)
        }
    given = {
        cid: Answer(a["result"], a.get("points")) for cid, a in answers.items() if a.get("result") in RESULTS
    }
    totals: Totals = compute(rubric, given)
    earned = {c.id: c for c in totals.criteria}
    weight_all = sum(s.weight for s in rubric.sections) or 1.0
    sections = []
    for s, st in zip(rubric.sections, totals.sections, strict=True):
        rows = []
        for c in s.criteria:
            m = machine.get(c.id) or {}
            a = answers.get(c.id) or {}
            automated = bool(m) and m.get("automated", True) and m.get("result") in RESULTS
            cited, searched = split_evidence(m.get("evidence"))
            cs = earned[c.id]
            rows.append(
                Row(
                    criterion=c,
                    section_id=s.id,
                    title=_title(c, lang),
                    guidance=(c.guidance_en or c.guidance_zh)
                    if lang == "en"
                    else (c.guidance_zh or c.guidance_en),
                    machine_result=m.get("result") if automated else None,
                    machine_points=m.get("scale_points") if automated else None,
                    needs_review=bool(m.get("needs_review")),
                    confidence=m.get("confidence") if automated else None,
                    note=(m.get("note_message") or m.get("note") or "") if automated else "",
                    cited=cited,
                    searched=searched,
                    result=a.get("result") if a.get("result") in RESULTS else None,
                    points=a.get("points"),
                    earned=cs.points,
                    zeroed=cs.zeroed_by_critical and a.get("result") == "pass",
                    reason=str(a.get("reason") or ""),
                    comment=str(a.get("comment") or ""),
                    overridden=bool(a.get("overridden")),
                )
            )
        sections.append(
            SectionRows(
                s.id,
                s.title(lang) if hasattr(s, "title") else s.id,
                s.weight,
                100.0 * s.weight / weight_all,
                st.score,
                st.critical_failed,
                rows,
            )
        )
    return Scorecard(
        sections=sections,
        total=totals.total,
        critical_failed=totals.critical_failed,
        critical_failures=[
            {
                "title": f.title_en if lang == "en" else f.title_zh,
                "level": f.level,
                "criterion": f.criterion_id,
            }
            for f in totals.critical_failures
        ],
        answered=len(given),
        count=len(rubric.criterion_ids),
    )


def machine_rows(card_data: dict[str, Any] | None, rubric: Rubric) -> dict[str, dict[str, Any]]:
    """The automated scorecard's rows by criterion id, with the answer on each criterion's scale
    (``scale_points``, see ``rubrics.Scale.points_for``)."""
    out: dict[str, dict[str, Any]] = {}
    scales = {c.id: c.scale for c in rubric.criteria()}
    for row in (card_data or {}).get("criteria", []):
        scale = scales.get(row.get("id"))
        if scale is None:
            continue  # a criterion the rubric version no longer has
        out[row["id"]] = {**row, "scale_points": scale.points_for(row.get("result"))}
    return out


def machine_from_items(items: dict[str, dict[str, Any]], card_data: dict[str, Any] | None) -> dict[str, dict]:
    """The machine side of a review draft: its items carry the machine's verdict and evidence; the
    automated scorecard (when still there) adds the confidence."""
    conf = {r.get("id"): r.get("confidence") for r in (card_data or {}).get("criteria", [])}
    out = {}
    for cid, it in items.items():
        if it.get("machine_result") is None:
            continue
        out[cid] = {
            "result": it["machine_result"],
            "scale_points": it.get("machine_points"),
            "evidence": it.get("evidence") or [],
            "note": it.get("note") or "",
            "note_message": it.get("note_message"),
            "needs_review": it.get("needs_review"),
            "confidence": conf.get(cid),
            "automated": True,
        }
    return out
