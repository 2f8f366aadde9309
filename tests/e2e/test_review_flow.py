"""Human review in a real browser (issue #8): a reviewer works a queued call in the workspace (click a
transcript line → the audio position follows; override a verdict with a reason; submit), the agent reads
it and disputes a criterion, the lead rules — and a transcript line carrying markup stays inert text.
Screenshots: review-queue, review-workspace, agent-evaluation, dispute-ruling."""

from __future__ import annotations

import dataclasses

import pytest

import factories
from browser import login, shot
from fakes import make_transcript

XSS = "<img src=x onerror=alert(1)>"


@pytest.fixture
def scene(app, db):
    settings = app.extensions["qa_settings"]
    lead = factories.create_user(db, "trainer", display_name="班组长 陈芳")
    reviewer = factories.create_user(db, "qa_reviewer", display_name="质检员 李静")
    team = factories.create_team(db, "宽带服务一组", lead=lead)
    agent = factories.create_agent(db, team=team, name="张伟")
    t = make_transcript()
    segs = list(t.segments)
    segs[5] = dataclasses.replace(segs[5], text=f"好的，谢谢。{XSS}")
    transcript = dataclasses.replace(t, segments=tuple(segs))
    call = factories.create_scored_call(db, settings, agent, transcript=transcript, seconds=22.0)
    factories.create_assignment(db, call, reviewer)
    db.commit()
    agent_user = db.get(type(reviewer), agent.user_id)
    return {"call": call, "reviewer": reviewer, "lead": lead, "agent": agent_user}


def test_review_dispute_and_ruling_in_the_browser(new_page, scene):
    call = scene["call"]
    dialogs: list[str] = []

    # --- the reviewer: queue -> workspace -------------------------------------------------------------
    page = new_page()
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    login(page, scene["reviewer"].username)
    page.goto("/queue/")
    page.wait_for_selector(f"a[href*='/calls/{call.id}/review']")
    shot(page, "review-queue")
    page.click(f"a[href*='/calls/{call.id}/review']")
    page.wait_for_selector("#review-form")

    # click a transcript line: the player jumps there
    line = page.locator("#transcript .seg[data-seg-start]").nth(2)
    start = float(line.get_attribute("data-seg-start"))
    line.click()
    page.wait_for_function(
        "([t]) => window.qaPlayer && Math.abs(window.qaPlayer.currentTime - t) < 1.5", arg=[start]
    )
    assert page.locator("#transcript .seg.playing").count() >= 1

    # the markup in the transcript is shown as text, never run
    assert XSS in page.locator("#transcript").inner_text()
    assert page.locator("#transcript img").count() == 0

    # override an automated pass with a reason, then submit
    row = page.locator("tr[id^='crit-'][data-machine='pass']").first
    cid = row.get_attribute("id").removeprefix("crit-")
    page.check(f"input[name='result-{cid}'][value='fail']")
    page.fill(f"[name='reason-{cid}']", "问候语缺少工号")
    shot(page, "review-workspace")
    page.click("#submit-review")
    page.click("#confirm-submit")
    page.wait_for_selector("#review-history")
    assert dialogs == [] and page.js_errors == []

    # --- the agent: reads the evaluation and disputes the overridden criterion -----------------------
    agent = new_page()
    agent.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    login(agent, scene["agent"].username)
    agent.goto(f"/calls/{call.id}")
    agent.wait_for_selector("#evaluation")
    assert "问候语缺少工号" in agent.locator("#evaluation").inner_text()
    agent.locator("#evaluation details > summary").click()  # the dispute form opens on demand
    agent.check(f"input[name='pick-{cid}']")
    agent.fill(f"[name='reason-{cid}']", "我报了工号，请复听")
    shot(agent, "agent-evaluation")
    agent.locator("#evaluation form button.btn-warning").click()
    agent.wait_for_load_state("networkidle")
    agent.wait_for_selector("#evaluation a[href*='/disputes/']")  # the nav's /disputes/ comes first
    dispute_url = agent.locator("#evaluation a[href*='/disputes/']").first.get_attribute("href")

    # --- the lead: rules on it ---------------------------------------------------------------------------
    lead = new_page()
    login(lead, scene["lead"].username)
    lead.goto(dispute_url)
    lead.check(f"input[name='decision-{cid}'][value='accept']")
    lead.select_option(f"select[name='result-{cid}']", "pass")
    lead.fill("textarea[name='reason']", "录音中已报工号，接受申诉")
    shot(lead, "dispute-ruling")
    lead.get_by_role("button", name="保存裁决").click()
    lead.wait_for_load_state("networkidle")
    assert "接受" in lead.content()

    # the agent sees the outcome
    agent.goto(f"/calls/{call.id}")
    assert "录音中已报工号" in agent.content()
    assert dialogs == [] and agent.js_errors == [] and lead.js_errors == []
