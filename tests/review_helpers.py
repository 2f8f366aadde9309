"""Helpers for the review workspace tests: read a rendered form the way a browser would post it, the
page's visible text, and transcripts / rubrics that exercise the corners of the scorecard."""

from __future__ import annotations

import html as html_lib
import re
from html.parser import HTMLParser

from sqlalchemy.orm import Session

from qa_app.db.models import RubricVersion, User
from qa_app.services import rubrics
from transcription.types import Segment, Transcript

from fakes import SCRIPT


class _FormReader(HTMLParser):
    """Collects what a browser would submit from the form with ``form_id`` (no button pressed)."""

    def __init__(self, form_id: str) -> None:
        super().__init__(convert_charrefs=True)
        self.form_id = form_id
        self.inside = False
        self.fields: list[tuple[str, str]] = []
        self._textarea: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag, attrs):  # noqa: ANN001
        a = dict(attrs)
        if tag == "form" and a.get("id") == self.form_id:
            self.inside = True
        if not self.inside:
            return
        if tag == "input" and a.get("name"):
            kind = a.get("type", "text")
            if kind in ("radio", "checkbox") and "checked" not in a:
                return
            if kind in ("submit", "button"):
                return
            self.fields.append((a["name"], a.get("value", "on" if kind == "checkbox" else "") or ""))
        elif tag == "textarea" and a.get("name"):
            self._textarea, self._text = a["name"], []

    def handle_data(self, data):  # noqa: ANN001
        if self._textarea is not None:
            self._text.append(data)

    def handle_endtag(self, tag):  # noqa: ANN001
        if tag == "textarea" and self._textarea is not None:
            self.fields.append((self._textarea, "".join(self._text)))
            self._textarea = None
        elif tag == "form" and self.inside:
            self.inside = False


def form_payload(page: str, form_id: str = "review-form") -> dict[str, str]:
    reader = _FormReader(form_id)
    reader.feed(page)
    assert reader.fields, f"no form #{form_id} in the page"
    return dict(reader.fields)


def visible_text(page: str) -> str:
    """Text a reader sees: no tags or attributes (tooltips), no scripts, styles or <template>s."""
    body = re.sub(r"(?is)<(script|style|template)\b.*?</\1>", " ", page)
    body = re.sub(r"(?s)<[^>]+>", " ", body)
    return html_lib.unescape(re.sub(r"\s+", " ", body))


def transcript(*extra: tuple[str, float, float, str], speakers=("A", "B")) -> Transcript:  # noqa: ANN001
    """The fakes' script (A agent, B customer) plus ``extra`` turns; ``speakers`` renames the tags."""
    names = dict(zip(("A", "B"), speakers, strict=True))
    turns = [*SCRIPT, *extra]
    segs = tuple(
        Segment(i, a, b, names[spk], text, "agent" if spk == "A" else "customer")
        for i, (spk, a, b, text) in enumerate(turns)
    )
    return Transcript(
        "zh", max(s.end for s in segs) + 0.5, segs, "mono", {names["A"]: "agent", names["B"]: "customer"},
        None, {"asr": "fake"}, 0.9,
    )  # fmt: skip


SCALES_YAML = """\
id: review_scales
version: 1
status: draft
title: {zh: 复核测试标准, en: Review test rubric}
language: zh
sections:
- id: main
  title: {zh: 主要, en: Main}
  criteria:
  - id: greeting
    title: {zh: 开场白, en: Greeting}
    weight: 6
    scale: pass_fail
    party: agent
    automation: {primitive: phrase, party: agent, any: [您好]}
  - id: courtesy
    title: {zh: 礼貌用语, en: Courtesy}
    weight: 4
    scale: {type: points, max: 5}
    party: agent
    automation: {primitive: phrase, party: agent, any: [感谢]}
  - id: tone
    title: {zh: 语气, en: Tone}
    weight: 3
    scale: likert
    party: agent
"""


def publish_scales_rubric(db: Session, admin: User) -> RubricVersion:
    """A default rubric with a points criterion, a 1–5 manual criterion and a pass/fail one."""
    rubrics.ensure_default(db)
    row = rubrics.save_draft(db, SCALES_YAML, actor=admin)
    rubrics.publish(db, row.id, actor=admin, make_default=True)
    db.commit()
    return row
