"""Rubric <-> dict / YAML, with validation that reports every problem in zh and en.

YAML shape (see ``rubrics/default/telecom_service.yaml``)::

    id: telecom_service
    version: 1
    status: published
    title: {zh: 客服通话质检标准, en: Customer service call QA standard}
    sections:
      - id: opening
        title: {zh: 开场, en: Opening}
        criteria:
          - id: greeting
            title: {zh: 开场白, en: Greeting}
            guidance: {zh: ..., en: ...}
            weight: 5
            scale: pass_fail            # or likert, or {type: points, max: 5}
            allow_na: false
            critical: null              # or section | evaluation
            party: agent                # agent | customer | call
            automation: {primitive: phrase, ...}
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from rubrics.automation import PRIMITIVES
from rubrics.automation import check as check_automation
from rubrics.errors import Issue, RubricValidationError
from rubrics.model import (
    CRITICAL_LEVELS,
    PARTIES,
    SCALE_KINDS,
    STATUSES,
    Criterion,
    Rubric,
    Scale,
    Section,
)

SLUG_RE = re.compile(r"^[a-z][a-z0-9_\-]{0,63}$")
MAX_POINTS_LIMIT = 100

_RUBRIC_KEYS = {"id", "version", "status", "title", "description", "language", "sections"}
_SECTION_KEYS = {"id", "title", "criteria"}
_CRITERION_KEYS = {
    "id",
    "title",
    "guidance",
    "weight",
    "scale",
    "allow_na",
    "critical",
    "party",
    "automation",
}


MAX_ISSUES = 100  # a hostile document can have thousands of problems; the first hundred are listed
MAX_ISSUE_CHARS = 300  # user text quoted in a message (an unknown key, a value) is cut to fit
MAX_DEPTH = 24  # nesting of mappings and lists; a rubric needs 7 (automation groups: 8)


def clip(text: str, limit: int = MAX_ISSUE_CHARS) -> str:
    """``text`` cut to ``limit`` characters (with an ellipsis)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


class _Collector:
    """Collects issues while parsing so the user sees all problems at once (at most MAX_ISSUES)."""

    def __init__(self) -> None:
        self.issues: list[Issue] = []
        self.dropped = 0

    def add(self, path: str, where: tuple[str, str], zh: str, en: str) -> None:
        if len(self.issues) >= MAX_ISSUES:
            self.dropped += 1
            return
        self.issues.append(Issue(clip(path, 200), where[0], where[1], clip(zh), clip(en)))

    def result(self) -> list[Issue]:
        if not self.dropped:
            return self.issues
        more = Issue("", "", "", f"……另有 {self.dropped} 个问题未列出", f"… and {self.dropped} more problems")
        return [*self.issues, more]


# --- YAML without anchors and aliases ---------------------------------------------------------------


class YamlRefused(yaml.MarkedYAMLError):
    """A YAML feature a rubric does not need and that can make a small document explode."""

    def __init__(self, kind: str, mark: Any) -> None:
        self.kind = kind  # "alias" or "depth"
        what = (
            "anchors and aliases (& and *)" if kind == "alias" else f"nesting deeper than {MAX_DEPTH} levels"
        )
        super().__init__(problem=f"{what} are not allowed", problem_mark=mark)


class PlainLoader(yaml.SafeLoader):
    """SafeLoader that refuses anchors, aliases (hence merge keys) and deep nesting while composing,
    before anything is built: a 423-byte "billion laughs" document or a deep alias in a valid rubric
    cannot expand in memory, and deep nesting cannot exhaust the stack."""

    def __init__(self, stream: Any) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
            raise YamlRefused("alias", event.start_mark)
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise YamlRefused("depth", event.start_mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def safe_load(text: str) -> Any:
    """Parse YAML text like ``yaml.safe_load`` without anchors, aliases or deep nesting
    (raises :class:`YamlRefused`, a ``yaml.YAMLError``)."""
    loader = PlainLoader(text)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


def depth_exceeds(value: Any, limit: int = MAX_DEPTH) -> bool:
    """Whether JSON-like data nests mappings/lists deeper than ``limit`` (checked without recursion)."""
    stack = [(value, 1)]
    while stack:
        v, d = stack.pop()
        if isinstance(v, Mapping):
            children = list(v.values())
        elif isinstance(v, list | tuple):
            children = list(v)
        else:
            continue
        if d > limit:
            return True
        stack.extend((c, d + 1) for c in children)
    return False


def _r(value: Any) -> str:
    """A user value quoted in a message: its repr, cut short (a key may be 100 KB long)."""
    return clip(repr(value), 60)


def _where(
    section: int | None = None, criterion: int | None = None, cid: str | None = None
) -> tuple[str, str]:
    if section is None:
        return ("质检标准", "rubric")
    if criterion is None:
        return (f"第{section + 1}节", f"section {section + 1}")
    suffix = f" ({cid})" if cid else ""
    return (
        f"第{section + 1}节第{criterion + 1}项{suffix}",
        f"section {section + 1}, criterion {criterion + 1}{suffix}",
    )


def _text_pair(
    value: Any, path: str, where: tuple[str, str], col: _Collector, what: tuple[str, str], required: bool
):
    """Parse {zh: ..., en: ...}; a plain string is taken as both languages."""
    if value is None:
        if required:
            col.add(path, where, f"缺少{what[0]}", f"{what[1]} is missing")
        return "", ""
    if isinstance(value, str):
        return value, value
    if not isinstance(value, Mapping):
        col.add(path, where, f"{what[0]}必须是文本或 {{zh, en}}", f"{what[1]} must be text or {{zh, en}}")
        return "", ""
    zh, en = value.get("zh"), value.get("en")
    for lang, v in (("zh", zh), ("en", en)):
        if required and (not isinstance(v, str) or not v.strip()):
            col.add(
                f"{path}.{lang}",
                where,
                f"{what[0]}（{lang}）不能为空",
                f"{what[1]} ({lang}) must not be empty",
            )
    return (zh if isinstance(zh, str) else ""), (en if isinstance(en, str) else "")


def _unknown_keys(
    d: Mapping[str, Any], allowed: set[str], path: str, where: tuple[str, str], col: _Collector
):
    for key in d:
        if key not in allowed:
            col.add(
                f"{path}.{key}" if path else str(key),
                where,
                f"未知字段 {_r(key)}（可用字段: {', '.join(sorted(allowed))}）",
                f"unknown field {_r(key)} (allowed: {', '.join(sorted(allowed))})",
            )


def _parse_scale(value: Any, path: str, where: tuple[str, str], col: _Collector) -> Scale:
    if value is None:
        return Scale()
    if isinstance(value, str):
        kind, max_points = value, None
    elif isinstance(value, Mapping):
        kind, max_points = value.get("type"), value.get("max")
    else:
        col.add(path, where, "评分方式格式不正确", "scale has the wrong format")
        return Scale()
    if kind not in SCALE_KINDS:
        col.add(
            path,
            where,
            f"评分方式 {_r(kind)} 未知，可选: 通过/不通过(pass_fail)、分值(points)、1-5级(likert)",
            f"unknown scale {_r(kind)}; use pass_fail, points or likert",
        )
        return Scale()
    if kind == "points":
        if isinstance(max_points, bool) or not isinstance(max_points, int) or max_points < 1:
            col.add(
                f"{path}.max",
                where,
                "分值型评分必须给出最高分（正整数）",
                "a points scale needs a maximum (a positive whole number)",
            )
            return Scale("points", 1)
        if max_points > MAX_POINTS_LIMIT:
            col.add(
                f"{path}.max",
                where,
                f"最高分不能超过 {MAX_POINTS_LIMIT}",
                f"the maximum may not exceed {MAX_POINTS_LIMIT}",
            )
        return Scale("points", max_points)
    if max_points is not None:
        col.add(
            f"{path}.max",
            where,
            "只有分值型评分(points)才能设置最高分",
            "only a points scale can have a maximum",
        )
    return Scale(kind)  # type: ignore[arg-type]


def _parse_automation(
    value: Any, path: str, where: tuple[str, str], col: _Collector
) -> dict[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        col.add(path, where, "自动评分设置必须是键值表", "automation must be a mapping")
        return None
    primitive = value.get("primitive")
    if primitive not in PRIMITIVES:
        col.add(
            f"{path}.primitive",
            where,
            f"未知的自动评分方法 {_r(primitive)}（可用: {', '.join(sorted(PRIMITIVES))}）",
            f"unknown automation primitive {_r(primitive)} (available: {', '.join(sorted(PRIMITIVES))})",
        )
    for p, zh, en in check_automation(dict(value), path):
        col.add(p, where, zh, en)
    return dict(value)


def _parse_criterion(d: Any, si: int, ci: int, col: _Collector) -> Criterion | None:
    path = f"sections[{si}].criteria[{ci}]"
    if not isinstance(d, Mapping):
        col.add(path, _where(si, ci), "质检项必须是键值表", "a criterion must be a mapping")
        return None
    cid = d.get("id")
    where = _where(si, ci, cid if isinstance(cid, str) else None)
    _unknown_keys(d, _CRITERION_KEYS, path, where, col)
    if not isinstance(cid, str) or not SLUG_RE.match(cid):
        col.add(
            f"{path}.id",
            where,
            "编号必须是小写英文字母开头的短标识（字母、数字、_ 或 -）",
            "id must be a short slug (lower-case letter first, then letters, digits, _ or -)",
        )
        cid = str(cid or "")
    title_zh, title_en = _text_pair(d.get("title"), f"{path}.title", where, col, ("标题", "title"), True)
    guid_zh, guid_en = _text_pair(
        d.get("guidance"), f"{path}.guidance", where, col, ("说明", "guidance"), False
    )
    weight = d.get("weight")
    if (
        isinstance(weight, bool)
        or not isinstance(weight, int | float)
        or not math.isfinite(weight)
        or weight <= 0
    ):
        col.add(f"{path}.weight", where, "权重必须是正数", "weight must be positive")
        weight = 0.0
    scale = _parse_scale(d.get("scale"), f"{path}.scale", where, col)
    allow_na = d.get("allow_na", False)
    if not isinstance(allow_na, bool):
        col.add(
            f"{path}.allow_na",
            where,
            "是否允许不适用(allow_na)必须是 true 或 false",
            "allow_na must be true or false",
        )
        allow_na = False
    critical = d.get("critical")
    if critical is False:
        critical = None
    if critical is not None and critical not in CRITICAL_LEVELS:
        col.add(
            f"{path}.critical",
            where,
            f"致命项级别 {_r(critical)} 未知，可选: section（本节得0分）、evaluation（整体得0分）",
            f"unknown critical level {_r(critical)}; use section (fails the section) or evaluation (fails the whole evaluation)",
        )
        critical = None
    party = d.get("party", "agent")
    if party not in PARTIES:
        col.add(
            f"{path}.party",
            where,
            f"对象 {_r(party)} 未知，可选: agent（坐席）、customer（客户）、call（整通电话）",
            f"unknown party {_r(party)}; use agent, customer or call",
        )
        party = "agent"
    automation = _parse_automation(d.get("automation"), f"{path}.automation", where, col)
    return Criterion(
        id=cid,
        title_zh=title_zh,
        title_en=title_en,
        weight=float(weight),
        scale=scale,
        guidance_zh=guid_zh,
        guidance_en=guid_en,
        allow_na=allow_na,
        critical=critical,
        party=party,
        automation=automation,
    )


def from_dict(d: Any, *, strict: bool = True) -> Rubric:
    """Build and validate a rubric; raise :class:`RubricValidationError` listing every problem.

    ``strict=False`` builds what it can despite problems (never for a non-mapping document): for
    showing stored versions that a later, stricter validator would reject — history stays readable.
    """
    col = _Collector()
    top = _where()
    if not isinstance(d, Mapping):
        raise RubricValidationError([Issue("", *top, "内容必须是键值表", "the document must be a mapping")])
    _unknown_keys(d, _RUBRIC_KEYS, "", top, col)
    rid = d.get("id")
    if not isinstance(rid, str) or not SLUG_RE.match(rid):
        col.add("id", top, "编号必须是小写英文字母开头的短标识", "id must be a short lower-case slug")
        rid = str(rid or "")
    version = d.get("version", 1)
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        col.add("version", top, "版本号必须是正整数", "version must be a positive whole number")
        version = 1
    status = d.get("status", "draft")
    if status not in STATUSES:
        col.add(
            "status",
            top,
            "状态必须是 draft（草稿）或 published（已发布）",
            "status must be draft or published",
        )
        status = "draft"
    title_zh, title_en = _text_pair(d.get("title"), "title", top, col, ("标题", "title"), True)
    desc_zh, desc_en = _text_pair(
        d.get("description"), "description", top, col, ("说明", "description"), False
    )
    language = d.get("language", "zh")
    raw_sections = d.get("sections")
    sections: list[Section] = []
    if not isinstance(raw_sections, list) or not raw_sections:
        col.add("sections", top, "至少需要一个小节", "at least one section is required")
        raw_sections = []
    seen_sections: dict[str, int] = {}
    seen_criteria: dict[str, tuple[int, int]] = {}
    for si, sd in enumerate(raw_sections):
        spath, swhere = f"sections[{si}]", _where(si)
        if not isinstance(sd, Mapping):
            col.add(spath, swhere, "小节必须是键值表", "a section must be a mapping")
            continue
        _unknown_keys(sd, _SECTION_KEYS, spath, swhere, col)
        sid = sd.get("id")
        if not isinstance(sid, str) or not SLUG_RE.match(sid):
            col.add(f"{spath}.id", swhere, "小节编号必须是短标识", "section id must be a short slug")
            sid = str(sid or "")
        elif sid in seen_sections:
            col.add(
                f"{spath}.id",
                swhere,
                f"小节编号 {_r(sid)} 与第{seen_sections[sid] + 1}节重复",
                f"section id {_r(sid)} duplicates section {seen_sections[sid] + 1}",
            )
        else:
            seen_sections[sid] = si
        s_zh, s_en = _text_pair(sd.get("title"), f"{spath}.title", swhere, col, ("标题", "title"), True)
        raw_criteria = sd.get("criteria")
        if not isinstance(raw_criteria, list) or not raw_criteria:
            col.add(
                f"{spath}.criteria",
                swhere,
                "每节至少需要一个质检项",
                "each section needs at least one criterion",
            )
            raw_criteria = []
        crits: list[Criterion] = []
        for ci, cd in enumerate(raw_criteria):
            c = _parse_criterion(cd, si, ci, col)
            if c is None:
                continue
            if c.id and c.id in seen_criteria:
                psi, pci = seen_criteria[c.id]
                col.add(
                    f"sections[{si}].criteria[{ci}].id",
                    _where(si, ci, c.id),
                    f"编号 {_r(c.id)} 与第{psi + 1}节第{pci + 1}项重复",
                    f"id {_r(c.id)} duplicates section {psi + 1}, criterion {pci + 1}",
                )
            elif c.id:
                seen_criteria[c.id] = (si, ci)
            crits.append(c)
        sections.append(Section(sid, s_zh, s_en, tuple(crits)))
    if col.issues and strict:
        raise RubricValidationError(col.result())
    return Rubric(
        id=rid,
        version=version,
        title_zh=title_zh,
        title_en=title_en,
        sections=tuple(sections),
        status=status,
        description_zh=desc_zh,
        description_en=desc_en,
        language=str(language),
    )


def _pair(zh: str, en: str) -> dict[str, str]:
    return {"zh": zh, "en": en}


def to_dict(rubric: Rubric) -> dict[str, Any]:
    """Plain-data form (YAML/JSON friendly); ``from_dict(to_dict(r)) == r``."""
    d: dict[str, Any] = {
        "id": rubric.id,
        "version": rubric.version,
        "status": rubric.status,
        "title": _pair(rubric.title_zh, rubric.title_en),
    }
    if rubric.description_zh or rubric.description_en:
        d["description"] = _pair(rubric.description_zh, rubric.description_en)
    d["language"] = rubric.language
    d["sections"] = []
    for s in rubric.sections:
        crits = []
        for c in s.criteria:
            cd: dict[str, Any] = {"id": c.id, "title": _pair(c.title_zh, c.title_en)}
            if c.guidance_zh or c.guidance_en:
                cd["guidance"] = _pair(c.guidance_zh, c.guidance_en)
            weight = c.weight
            cd["weight"] = int(weight) if float(weight).is_integer() else weight
            cd["scale"] = c.scale.to_dict() if c.scale.kind == "points" else c.scale.kind
            cd["allow_na"] = c.allow_na
            cd["critical"] = c.critical
            cd["party"] = c.party
            if c.automation is not None:
                cd["automation"] = dict(c.automation)
            crits.append(cd)
        d["sections"].append({"id": s.id, "title": _pair(s.title_zh, s.title_en), "criteria": crits})
    return d


def validate(rubric: Rubric) -> list[Issue]:
    """Re-check a rubric built in code; returns the issues (empty when valid)."""
    try:
        from_dict(to_dict(rubric))
    except RubricValidationError as e:
        return list(e.issues)
    return []


def loads(text: str, *, strict: bool = True) -> Rubric:
    """Parse YAML text into a validated rubric (``strict=False``: see :func:`from_dict`)."""
    try:
        data = safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        line = f"第{mark.line + 1}行" if mark else ""
        line_en = f"line {mark.line + 1}" if mark else ""
        if isinstance(e, YamlRefused) and e.kind == "alias":
            zh = "不支持 YAML 锚点和别名（& 和 *），请把内容完整写出"
            en = "YAML anchors and aliases (& and *) are not supported; write the content out in full"
        elif isinstance(e, YamlRefused):
            zh = f"嵌套层级超过 {MAX_DEPTH} 层"
            en = f"the document nests deeper than {MAX_DEPTH} levels"
        else:
            zh, en = f"YAML 格式错误: {clip(str(e))}", f"YAML syntax error: {clip(str(e))}"
        raise RubricValidationError([Issue("", line or "YAML", line_en or "YAML", zh, en)]) from e
    return from_dict(data, strict=strict)


def load(path: str | Path) -> Rubric:
    """Load a rubric YAML file."""
    return loads(Path(path).read_text(encoding="utf-8"))


class _NoAliasDumper(yaml.SafeDumper):
    """Never write &id001 anchors: shared phrase lists are dumped in full for readability."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def dumps(rubric: Rubric) -> str:
    """Rubric -> YAML text (Chinese kept readable, key order preserved)."""
    return yaml.dump(to_dict(rubric), Dumper=_NoAliasDumper, allow_unicode=True, sort_keys=False, width=120)


def dump(rubric: Rubric, path: str | Path) -> None:
    Path(path).write_text(dumps(rubric), encoding="utf-8")
