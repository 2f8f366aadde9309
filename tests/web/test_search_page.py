"""The /search page: every role may search what they may see; hits are escaped, highlighted with <mark>
and link to the call page at the hit's time; agents never see another agent's hits."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from qa_app.db.models import TranscriptSegment
from qa_app.services import processing
from transcription.types import Segment, Transcript

import factories
from factories import logged_in_client

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def _transcript(*lines: tuple[str, str, float]) -> Transcript:
    segs = tuple(
        Segment(i, start, start + 3, "S0" if role == "agent" else "S1", txt, role)
        for i, (role, txt, start) in enumerate(lines)
    )
    return Transcript("zh", 60.0, segs, speakers={"S0": "agent", "S1": "customer"})


@pytest.fixture
def world(app, db, settings):
    agent_a = factories.create_agent(db, name="张三")
    agent_b = factories.create_agent(db, name="李四")
    call_a = factories.create_call(db, settings, agent_a, started_at=T0)
    call_b = factories.create_call(db, settings, agent_b, started_at=T0 + timedelta(days=1))
    processing.store_transcript(
        db,
        call_a,
        _transcript(("agent", "您好", 0.0), ("customer", "我要退款，<script>alert(1)</script> & 投诉", 42.6)),
    )
    processing.store_transcript(db, call_b, _transcript(("customer", "退款什么时候到账？", 7.2)))
    db.commit()
    qa = factories.create_user(db, "qa_reviewer")
    return {"a": call_a, "b": call_b, "agent_a": agent_a, "agent_b": agent_b, "qa": qa}


def _links(page: str) -> list[str]:
    return re.findall(r'href="(/calls/\d+\?t=[\d.]+)"', page)


def test_staff_search_highlights_escapes_and_links(app, world):
    client = logged_in_client(app, world["qa"].username)
    resp = client.get("/search?q=退款")
    assert resp.status_code == 200
    page = resp.get_data(as_text=True)
    a, b = world["a"].id, world["b"].id
    assert _links(page) == [f"/calls/{b}?t=7.2", f"/calls/{b}?t=7.2", f"/calls/{a}?t=42.6", f"/calls/{a}?t=42.6"]
    assert "<mark>退款</mark>什么时候到账" in page
    assert "<script>alert(1)</script>" not in page
    assert html.escape("<script>alert(1)</script>", quote=False) in page or "&lt;script&gt;" in page
    assert "&amp; 投诉" in page
    assert 'href="/search"' in page  # the nav link


def test_markup_in_the_query_is_escaped_and_highlighted_safely(app, world):
    client = logged_in_client(app, world["qa"].username)
    page = client.get("/search", query_string={"q": "<script>alert(1)</script>"}).get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page
    assert "<mark>&lt;script&gt;alert(1)&lt;/script&gt;</mark>" in page


def test_agent_never_gets_another_agents_hits(app, world):
    client = logged_in_client(app, world["agent_a"].user.username)
    a, b = world["a"].id, world["b"].id
    for url in ("/search?q=退款", f"/search?q=退款&agent={world['agent_b'].id}", "/search?q=到账", "/search?q=退款&page=2"):
        page = client.get(url).get_data(as_text=True)
        assert f"/calls/{b}" not in page, url
        assert "李四" not in page and world["agent_b"].employee_no not in page, url
    assert _links(client.get("/search?q=退款").get_data(as_text=True)) == [f"/calls/{a}?t=42.6"] * 2
    page = client.get("/search?q=到账").get_data(as_text=True)
    assert "没有找到" in page
    assert 'name="agent"' not in page  # no agent/team pickers for agents


def test_filters_and_odd_parameters(app, world):
    client = logged_in_client(app, world["qa"].username)
    a, b = world["a"].id, world["b"].id
    assert _links(client.get("/search?q=退款&party=agent").get_data(as_text=True)) == []
    page = client.get(f"/search?q=退款&party=customer&agent={world['agent_a'].id}").get_data(as_text=True)
    assert _links(page) == [f"/calls/{a}?t=42.6"] * 2
    page = client.get("/search?q=退款&from=2026-11-03&to=2026-11-03").get_data(as_text=True)
    assert set(_links(page)) == {f"/calls/{b}?t=7.2"}
    for odd in ("party=x", "from=yesterday", "agent=-1", "team=abc", "page=0", "page=999999999999", "q=" + "退" * 5000):
        resp = client.get("/search?q=退款&" + odd)
        assert resp.status_code == 200, odd


def test_empty_query_shows_the_form_in_chinese_and_english(app, world):
    client = logged_in_client(app, world["qa"].username)
    page = client.get("/search").get_data(as_text=True)
    assert "转写搜索" in page and "已脱敏的号码无法搜索" in page
    en = logged_in_client(app, world["qa"].username, lang="en")
    page = en.get("/search?q=").get_data(as_text=True)
    assert "Transcript search" in page and "Customer said" in page


def test_search_page_in_one_language(app, db, world):
    """English: no Chinese outside the transcripts and user data (names, teams); Chinese: no English UI
    wording. The placeholder's example terms are search terms in the transcripts' language."""
    from test_one_language import stray_chinese, visible

    data = list(db.scalars(select(TranscriptSegment.text)))
    data += [x for a in (world["agent_a"], world["agent_b"]) for x in (a.name, a.employee_no, a.team.name)]
    data.append("中文")  # the language switch names its language in it
    en = logged_in_client(app, world["qa"].username, lang="en")
    html = en.get("/search?q=退款").get_data(as_text=True)
    page = visible(html)
    assert "What was said" in page and "Said by" in page
    assert stray_chinese(page, data) == []
    assert 'placeholder="e.g. 退款 or 宽带故障"' in html
    zh = logged_in_client(app, world["qa"].username)
    html = zh.get("/search?q=退款").get_data(as_text=True)
    page = visible(html)
    assert "说了什么" in page and "What was said" not in page and "Said by" not in page
    assert 'placeholder="例如 退款 或 宽带故障"' in html


def test_hit_links_open_the_call_page_at_that_time(app, world):
    """A hit links to /calls/<id>?t=<s>: the call page hands the time to the player (data-start-at and a
    media fragment), and static/player.js starts there."""
    client = logged_in_client(app, world["qa"].username)
    link = f"/calls/{world['a'].id}?t=42.6"  # the hit's start (42.6 s), not cut to 42: that is the line before
    assert f'href="{link}"' in client.get("/search?q=退款").get_data(as_text=True)
    resp = client.get(link)
    assert resp.status_code == 200
    page = resp.get_data(as_text=True)
    assert 'data-start-at="42.6"' in page and "#t=42.6" in page
    js = (Path(app.static_folder) / "player.js").read_text(encoding="utf-8")
    assert "bar.dataset.startAt" in js
