"""The dashboards in a real browser, on the seeded demo history (seed-demo --no-audio): every page draws
its ECharts charts without a script error and shows its tables; an agent sees only their own series.
Screenshots: dashboard-index, dashboard-<page> for each page, dashboard-agent-trends."""

from __future__ import annotations

from qa_app.services import demo
from qa_app.services.demo import DEMO_PASSWORD

from browser import login, shot

CHARTED = ("trends", "criteria", "cohorts", "proficiency", "coverage", "kpis")
# every chart drawn and its opening animation over (a screenshot mid-animation shows bars near 0)
DRAWN = """() => {
  const boxes = [...document.querySelectorAll('.dash-chart:not(.dash-empty)')];
  return boxes.length > 0 && boxes.every((el) => {
    const chart = window.echarts && echarts.getInstanceByDom(el);
    return chart && el.querySelector('canvas') && chart.getZr().animation.isFinished();
  });
}"""


def test_every_dashboard_draws_its_charts(new_page, app, db):
    settings = app.extensions["qa_settings"]
    assert demo.seed(db, settings, audio=False).history.calls > 2000
    db.commit()
    page = new_page()
    login(page, "admin", DEMO_PASSWORD)
    page.goto("/dashboards/")
    shot(page, "dashboard-index")
    for name in (*CHARTED, "complaints"):
        page.goto(f"/dashboards/{name}")
        if name in CHARTED:
            page.wait_for_function(DRAWN)
            assert page.locator(".dash-chart.dash-empty").count() == 0, f"{name}: a chart has no data"
        rows = page.locator("table[id^=tbl-] tbody tr td").count()
        assert rows > 1, f"{name}: empty table"
        assert "演示历史" in page.inner_text("body"), f"{name}: the demo-history banner"
        shot(page, f"dashboard-{name}")
    assert page.js_errors == []

    agent = new_page()
    login(agent, "agent05", DEMO_PASSWORD)
    agent.goto("/dashboards/trends")
    agent.wait_for_function(DRAWN)
    text = agent.inner_text("body")
    assert "1005" in text and "1001" not in text, "an agent sees only their own series"
    shot(agent, "dashboard-agent-trends")
    assert agent.js_errors == []
