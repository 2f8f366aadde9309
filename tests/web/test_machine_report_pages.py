"""Machine vs human pages: the table with examples and links, the period filter, the reasons page, the CSV
export (attachment, escaped cells); staff only."""

from __future__ import annotations

import csv
import io
from dataclasses import replace

from qa_app.services import evaluations as ev_svc
from qa_app.services import rubrics as rubric_service
from qa_app.services.evaluations import ItemInput

import factories
from factories import logged_in_client
from fakes import make_transcript


def _setup(app, db):
    settings = app.extensions["qa_settings"]
    agent = factories.create_agent(db)
    t = make_transcript()
    rude = replace(t, segments=(replace(t.segments[0], text="喂，什么事？"), *t.segments[1:]))
    c1 = factories.create_scored_call(db, settings, agent)
    c2 = factories.create_scored_call(db, settings, agent, transcript=rude)
    reviewer = factories.create_user(db, "qa_reviewer", display_name="质检员<甲>")
    for call, cid, result, reason in (
        (c1, "greeting", "fail", "<i>未报工号</i>"),
        (c2, "greeting", "pass", "=1+1 有问候"),
    ):
        ev = ev_svc.start_review(db, call, reviewer)
        answers = {k: ItemInput(it["result"], it.get("points")) for k, it in ev.items.items()}
        answers[cid] = ItemInput(result, reason=reason)
        ev_svc.save(db, ev, actor=reviewer, expected_version=ev.version, answers=answers)
        ev_svc.submit(db, ev, actor=reviewer, expected_version=ev.version)
    db.commit()
    return c1, c2


def test_report_page_table_examples_and_links(app, db):
    c1, c2 = _setup(app, db)
    for role in ("qa_reviewer", "trainer", "admin"):
        client = logged_in_client(app, factories.create_user(db, role).username, lang="en")
        resp = client.get("/reports/machine-vs-human")
        assert resp.status_code == 200, role
    html = resp.get_data(as_text=True)
    assert "2 reviews, 28 answers compared, 2 overridden." in html
    assert f'href="/calls/{c1.id}"' in html and f'href="/calls/{c2.id}"' in html
    assert "&lt;i&gt;未报工号&lt;/i&gt;" in html and "<i>未报工号" not in html
    assert "质检员&lt;甲&gt;" in html
    version = rubric_service.default_version(db)
    assert f'href="/rubrics/{version.id}#criterion-greeting"' in html
    assert "/reports/machine-vs-human/overrides?criterion=greeting" in html
    # the greeting row comes first (100% overridden) and shows both directions
    first_row = html.split("<tbody>")[1].split("</tr>")[0]
    assert "greeting" in first_row and "100%" in first_row
    # a period without reviews
    html = client.get("/reports/machine-vs-human?from=2001-01-01&to=2001-01-31").get_data(as_text=True)
    assert "No completed human reviews" in html
    # odd dates are ignored, never a 500
    assert client.get("/reports/machine-vs-human?from=x&to=9999-12-31").status_code == 200
    rubric_page = client.get(f"/rubrics/{version.id}").get_data(as_text=True)
    assert 'id="criterion-greeting"' in rubric_page


def test_reasons_page(app, db):
    c1, c2 = _setup(app, db)
    client = logged_in_client(app, factories.create_user(db, "trainer").username, lang="en")
    html = client.get("/reports/machine-vs-human/overrides?criterion=greeting&from=&to=").get_data(
        as_text=True
    )
    assert "2 overrides" in html and "=1+1 有问候" in html and "&lt;i&gt;未报工号&lt;/i&gt;" in html
    assert "喂，什么事？" in html, "the machine's evidence is shown next to the reason"
    assert "not found in the first 2 agent turns" in html and "未找到" not in html, "the note in English"
    zh = logged_in_client(app, factories.create_user(db, "qa_reviewer").username, lang="zh")
    html = zh.get("/reports/machine-vs-human/overrides?criterion=greeting&from=&to=").get_data(as_text=True)
    assert "未找到" in html and "not found in" not in html, "the machine's note in the reader's language"
    assert client.get("/reports/machine-vs-human/overrides").status_code == 400
    html = client.get("/reports/machine-vs-human/overrides?criterion=closing").get_data(as_text=True)
    assert "No overrides of this criterion" in html


def test_csv_export(app, db):
    _setup(app, db)
    client = logged_in_client(app, factories.create_user(db, "qa_reviewer").username)
    resp = client.get("/reports/machine-vs-human.csv?from=&to=")
    assert resp.status_code == 200
    assert resp.mimetype == "text/csv"
    assert resp.headers["Content-Disposition"].startswith("attachment;")
    rows = list(csv.reader(io.StringIO(resp.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:3] == ["criterion_id", "title", "compared"]
    greeting = next(r for r in rows if r[0] == "greeting")
    assert greeting[1] == "开场白" and greeting[2:7] == ["2", "0", "0.0000", "2", "1.0000"]
    assert greeting[7:9] == ["1", "1"]
    assert len(rows) == 15
