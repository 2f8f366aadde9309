"""Dashboards per role: every page and every table export renders for the roles allowed; agents see only
their own data (no other agent's name anywhere, pages or downloads), trainers only the teams they lead
(every team when they lead none), QA reviewers and admins everything. Exports are CSV with a BOM and XLSX
with the same rows; names are escaped in HTML, chart JSON and spreadsheets; bad filters are a 400 with
the reason; absent KPI fields say "no data" rather than 0."""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from openpyxl import load_workbook

from qa_app.services import aggregates, calls, processing, rubrics

import factories
from factories import build_app, dispose, logged_in_client, make_settings
from fakes import lexicon_scorer, make_transcript

PAGES = ("trends", "criteria", "cohorts", "proficiency", "coverage", "complaints", "kpis")
STAFF_ONLY = ("cohorts", "proficiency")
EVIL = '=HYPERLINK("http://x")<script>alert(1)</script>'


@dataclass
class World:
    app: Flask
    users: dict[str, object]
    agents: dict[str, object]
    teams: dict[str, object]


def _scored(db, settings, agent, started_at, **kpis):
    tmp = settings.instance_dir / "w"
    wav = factories.make_wav(tmp / f"{agent.employee_no}-{started_at:%H%M%S%f}.wav")
    meta = calls.CallMeta(agent_id=agent.id, started_at=started_at, customer_ref=f"cust-{agent.id}", **kpis)
    with wav.open("rb") as fh:
        call = calls.ingest(db, settings, fh, filename=wav.name, meta=meta, actor=None).call
    rubrics.ensure_default(db)
    processing.store_transcript(db, call, make_transcript())
    processing.score_call(db, call, lexicon_scorer())
    db.commit()
    return call


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, migrated_template: Path):
    settings = make_settings(tmp_path_factory.mktemp("dash"))
    app = build_app(settings, migrated_template)
    db = app.extensions["qa_sessionmaker"]()
    users = {r: factories.create_user(db, r) for r in ("admin", "qa_reviewer")}
    users["lead_a"] = factories.create_user(db, "trainer")
    users["lead_b"] = factories.create_user(db, "trainer")
    users["center_trainer"] = factories.create_user(db, "trainer")
    teams = {
        "a": factories.create_team(db, "Team Alpha 甲组", lead=users["lead_a"]),
        "b": factories.create_team(db, "@Team Beta 乙组", lead=users["lead_b"]),  # "@" reads as a formula
    }
    today = date.today()
    agents = {
        "a1": factories.create_agent(
            db, team=teams["a"], employee_no="A-0001", name="甲一 Alice", hire_date=today - timedelta(days=30)
        ),
        "a2": factories.create_agent(
            db, team=teams["a"], employee_no="A-0002", name="甲二 Andy", hire_date=today - timedelta(days=900)
        ),
        "b1": factories.create_agent(
            db, team=teams["b"], employee_no="B-0001", name=EVIL, hire_date=today - timedelta(days=700)
        ),
    }
    users["agent"] = agents["a1"].user
    now = datetime.now(UTC)
    for i, key in enumerate(("a1", "a1", "a2", "b1")):
        _scored(db, settings, agents[key], now - timedelta(days=2 + i), wait_seconds=10.0 + i, csat=4)
    _scored(db, settings, agents["b1"], now - timedelta(days=9))  # no KPI fields at all
    aggregates.refresh(db, settings=settings)  # the hourly duty: the heat map and trends read the rollups
    db.commit()
    db.close()
    yield World(app, users, agents, teams)
    dispose(app)


def _client(world: World, who: str, lang: str | None = None):
    return logged_in_client(world.app, world.users[who].username, lang=lang)


def _names(world: World, *keys: str) -> list[str]:
    return [t for k in keys for t in (world.agents[k].employee_no, world.agents[k].name.split()[0])]


def _tables(client, page: str) -> list[str]:
    html = client.get(f"/dashboards/{page}").get_data(as_text=True)
    return sorted(set(re.findall(r'id="tbl-([a-z]+)"', html)))


def _downloads(client, page: str):
    """Every table of the page as (key, csv text, xlsx rows)."""
    out = []
    for key in _tables(client, page):
        c = client.get(f"/dashboards/{page}.csv?table={key}")
        assert c.status_code == 200, (page, key)
        assert c.data.startswith(b"\xef\xbb\xbf")
        x = client.get(f"/dashboards/{page}.xlsx?table={key}")
        assert x.status_code == 200 and x.data[:2] == b"PK", (page, key)
        out.append((key, c.data.decode("utf-8-sig"), load_workbook(io.BytesIO(x.data)).active))
    return out


# --- rendering --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("who", ["admin", "qa_reviewer", "lead_a", "center_trainer"])
def test_staff_pages_render_with_charts_tables_and_downloads(world: World, who, lang):
    client = _client(world, who, lang="en" if lang == "en" else None)
    index = client.get("/dashboards/").get_data(as_text=True)
    for page in PAGES:
        assert f'href="/dashboards/{page}"' in index
        resp = client.get(f"/dashboards/{page}")
        assert resp.status_code == 200, page
        html = resp.get_data(as_text=True)
        assert 'id="dash-charts"' in html and "vendor/echarts/echarts.min.js" in html
        assert re.search(r'id="tbl-[a-z]+"', html), page
        assert f"/dashboards/{page}.csv?table=" in html and f"/dashboards/{page}.xlsx?table=" in html
        assert ("下载" in html) == (lang == "zh"), page
        json.loads(re.search(r'id="dash-charts">(.*?)</script>', html, re.S).group(1))


def test_every_table_downloads_as_csv_and_xlsx_with_the_same_rows(world: World):
    client = _client(world, "admin")
    seen = 0
    for page in PAGES:
        for key, text, ws in _downloads(client, page):
            rows = list(csv.reader(io.StringIO(text)))
            xrows = [["" if v is None else v for v in r] for r in ws.iter_rows(values_only=True)]
            assert len(rows) == len(xrows), (page, key)
            assert rows[0] == [str(v) for v in xrows[0]], (page, key)
            for a, b in zip(rows[1:], xrows[1:], strict=True):
                assert len(a) == len(b)
                for s, v in zip(a, b, strict=True):
                    if isinstance(v, int | float):
                        assert float(s) == pytest.approx(v), (page, key)
                    elif isinstance(v, datetime):
                        assert s == v.date().isoformat()
                    else:
                        assert s == v, (page, key)
            seen += 1
    assert seen >= 10


def test_names_are_escaped_in_pages_charts_and_downloads(world: World):
    client = _client(world, "admin")
    for page in ("trends", "criteria", "coverage", "kpis", "complaints"):
        html = client.get(f"/dashboards/{page}?by=agent").get_data(as_text=True)
        assert "<script>alert(1)</script>" not in html, page
    html = client.get("/dashboards/trends").get_data(as_text=True)
    blob = re.search(r'id="dash-charts">(.*?)</script>', html, re.S).group(1)
    assert "<script" not in blob and "\\u003cscript\\u003e" in blob
    text = client.get("/dashboards/coverage.csv?table=teams").data.decode("utf-8-sig")
    assert "\r\n'@Team Beta 乙组," in text and "\n@Team" not in text
    ws = load_workbook(io.BytesIO(client.get("/dashboards/coverage.xlsx?table=teams").data)).active
    cells = [c for row in ws.iter_rows() for c in row]
    assert "'@Team Beta 乙组" in [c.value for c in cells]
    assert all(c.data_type != "f" for c in cells)


# --- who sees what ------------------------------------------------------------------------------------------


def test_agent_sees_only_their_own_data_everywhere(world: World):
    client = _client(world, "agent")
    own = world.agents["a1"]
    others = _names(world, "a2", "b1")
    for page in PAGES:
        resp = client.get(f"/dashboards/{page}")
        if page in STAFF_ONLY:
            assert resp.status_code == 403, page
            assert client.get(f"/dashboards/{page}.csv").status_code == 403
            continue
        html = resp.get_data(as_text=True)
        assert resp.status_code == 200, page
        for name in others:
            assert name not in html, (page, name)
        assert "Team Beta" not in html, page
        for key, text, ws in _downloads(client, page):
            cells = " ".join(str(c) for row in ws.iter_rows(values_only=True) for c in row)
            for name in others:
                assert name not in text and name not in cells, (page, key, name)
    html = client.get("/dashboards/trends").get_data(as_text=True)
    assert own.employee_no in html
    # a team filter cannot turn the agent's pages into a team view
    own_team = client.get(f"/dashboards/coverage?team={world.teams['a'].id}")
    assert own_team.status_code == 200 and "A-0002" not in own_team.get_data(as_text=True)
    assert 'id="tbl-teams"' not in own_team.get_data(as_text=True)
    # the agent cannot widen the scope with filters
    for query in (f"team={world.teams['b'].id}", "by=agent", "by=team"):
        resp = client.get(f"/dashboards/kpis?{query}")
        assert resp.status_code == 400, query
        assert not any(n in resp.get_data(as_text=True) for n in others)
    kpis = client.get("/dashboards/kpis?by=period").get_data(as_text=True)
    assert "no data" in kpis or "无数据" in kpis  # no NPS anywhere: "no data", never 0


def test_trainer_sees_only_the_teams_they_lead(world: World):
    client = _client(world, "lead_a")
    beta = _names(world, "b1")
    for page in PAGES:
        html = client.get(f"/dashboards/{page}?by=agent").get_data(as_text=True)
        for name in beta:
            assert name not in html, (page, name)
        assert "Team Beta" not in html
        for key, text, _ws in _downloads(client, page):
            assert "B-0001" not in text and "Team Beta" not in text, (page, key)
    html = client.get("/dashboards/coverage").get_data(as_text=True)
    assert "A-0001" in html and "A-0002" in html
    resp = client.get(f"/dashboards/trends?team={world.teams['b'].id}")
    assert resp.status_code == 400, "another team's id is not a choice"
    assert "B-0001" not in resp.get_data(as_text=True)


@pytest.mark.parametrize("who", ["admin", "qa_reviewer", "center_trainer"])
def test_qa_admins_and_unassigned_trainers_see_every_team(world: World, who):
    client = _client(world, who)
    html = client.get("/dashboards/coverage").get_data(as_text=True)
    for name in ("A-0001", "A-0002", "B-0001", "Team Alpha", "Team Beta"):
        assert name in html, (who, name)
    narrowed = client.get(f"/dashboards/coverage?team={world.teams['a'].id}").get_data(as_text=True)
    assert "A-0001" in narrowed and "B-0001" not in narrowed


def test_home_page_links_the_headcount_to_the_cohort_dashboard(world: World):
    html = _client(world, "lead_a").get("/").get_data(as_text=True)
    card = re.search(r'id="cohort-card".*?</div></div></div>', html, re.S).group(0)
    assert 'href="/dashboards/cohorts"' in card
    assert ">1 / 1</a>" in card, "team Alpha: one new hire, one veteran"
    assert "cohort-card" not in _client(world, "agent").get("/").get_data(as_text=True)


# --- filters ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("start=yesterday", ["From", "date"]),
        ("start=2026-05-01&end=2026-01-01", ["start date is after the end date"]),
        ("start=2020-01-01&end=2026-01-01", ["two years"]),
        ("period=year", ["Period"]),
        ("by=hour", ["Group by"]),
        ("team=abc", ["Team"]),
        ("start=0001-01-01", ["From"]),
    ],
)
def test_bad_filters_are_a_400_with_the_reason(world: World, query, words):
    client = _client(world, "admin", lang="en")
    resp = client.get(f"/dashboards/kpis?{query}")
    assert resp.status_code == 400
    html = resp.get_data(as_text=True)
    assert "alert-danger" in html
    for w in words:
        assert w in html, (query, w)
    assert 'id="tbl-' not in html, "no figures under a filter we could not read"
    assert client.get(f"/dashboards/kpis.csv?{query}").status_code == 400


def test_unknown_table_is_404_and_filters_reach_the_download(world: World):
    client = _client(world, "admin")
    assert client.get("/dashboards/trends.csv?table=nope").status_code == 404
    since = (date.today() - timedelta(days=3)).isoformat()
    text = client.get(f"/dashboards/kpis.csv?by=agent&start={since}").data.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert {r[0] for r in rows[1:]} == {"A-0001 甲一 Alice", "A-0002 甲二 Andy"}, "only the last 3 days"
    resp = client.get(f"/dashboards/kpis.csv?by=agent&start={since}")
    assert f"kpis-kpis-{since}" in resp.headers["Content-Disposition"]
