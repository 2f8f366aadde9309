"""Transcript search in a real browser: a hit's link opens the call page with the player at the hit's
time and its transcript line marked (static/player.js reads the time the call page is given)."""

from __future__ import annotations

import dataclasses
import math

import factories
from browser import login
from fakes import make_transcript


def test_a_hit_opens_the_call_at_its_time(new_page, app, db):
    settings = app.extensions["qa_settings"]
    reviewer = factories.create_user(db, "qa_reviewer")
    agent = factories.create_agent(db, name="张伟")
    t = make_transcript()
    segs = list(t.segments)
    segs[3] = dataclasses.replace(segs[3], text="我要退款，上个月多扣了钱。")
    call = factories.create_scored_call(
        db, settings, agent, transcript=dataclasses.replace(t, segments=tuple(segs)), seconds=22.0
    )
    db.commit()
    start = segs[3].start
    cue = math.ceil(round(start * 10, 6)) / 10  # rounded up to 0.1 s: inside the line, never the one before

    page = new_page()
    login(page, reviewer.username)
    page.goto("/search?q=退款")
    link = page.locator(f"a[href='/calls/{call.id}?t={cue}']").first
    assert "退款" in page.locator("table.search-hits mark").first.inner_text()
    link.click()
    page.wait_for_url(f"**/calls/{call.id}?t={cue}")
    page.wait_for_function(
        "([t]) => window.qaPlayer && Math.abs(window.qaPlayer.currentTime - t) < 0.2", arg=[start]
    )
    cited = page.locator("#transcript .seg.cited")
    assert cited.count() >= 1 and "退款" in cited.first.inner_text()
    assert page.js_errors == []
