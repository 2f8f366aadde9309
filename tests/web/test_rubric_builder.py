"""The rubric builder: form-based editing of drafts posted as one JSON document, server-side validation with
plain-language messages per item, optimistic locking (409), preview without saving, new drafts from
published versions, and publishing that never re-scores on its own."""

from __future__ import annotations

import copy
import html as html_lib
import json
from datetime import UTC, datetime

import pytest
import yaml
from sqlalchemy import func, select

import rubrics as rubric_domain
from qa_app.db.models import AuditEvent, AutoScorecard, Job, RubricVersion, TranscriptRecord
from qa_app.services import processing
from qa_app.services import rubrics as rubric_service

import factories
from factories import csrf_token, logged_in_client


def _text(resp) -> str:
    return resp.get_data(as_text=True)


@pytest.fixture
def published(app, db) -> RubricVersion:
    row = rubric_service.ensure_default(db)
    db.commit()
    return row


def _doc(row: RubricVersion) -> dict:
    """The document the builder page posts for an unchanged rubric (rubrics.to_dict shape)."""
    return rubric_domain.to_dict(rubric_service.to_domain(row))


def _post(client, version_id: int, doc, *, lock: int | None = None, action: str = "save", **extra):
    url = f"/rubrics/{version_id}/builder"
    data = {
        "csrf_token": csrf_token(client, url),
        "document": doc if isinstance(doc, str) else json.dumps(doc, ensure_ascii=False),
        "lock_version": "" if lock is None else str(lock),
        "action": action,
        **extra,
    }
    return client.post(url, data=data)


def _versions(app, key: str = "telecom_service") -> list[tuple[int, str]]:
    with app.extensions["qa_sessionmaker"]() as s:
        rows = s.scalars(select(RubricVersion).where(RubricVersion.rubric_key == key))
        return sorted((r.version, r.status) for r in rows)


def _row(app, version_id: int) -> RubricVersion:
    with app.extensions["qa_sessionmaker"]() as s:
        row = s.get(RubricVersion, version_id)
        s.expunge(row)
        return row


def _draft(app, db, published) -> RubricVersion:
    admin = factories.create_user(db, "admin")
    draft, created = rubric_service.new_draft_from_version(db, published.id, actor=admin)
    db.commit()
    assert created
    return draft


# --- access -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["admin", "qa_reviewer"])
def test_builder_renders_for_editors(app, db, published, role):
    client = logged_in_client(app, factories.create_user(db, role).username)
    resp = client.get(f"/rubrics/{published.id}/builder")
    assert resp.status_code == 200
    html = _text(resp)
    assert 'id="rubric-builder"' in html
    assert "rubric_builder.js" in html
    assert 'name="csrf_token"' in html and 'name="lock_version"' in html
    # every section and criterion of the rubric is in the form, and every primitive is offered
    r = rubric_service.to_domain(published)
    for s in r.sections:
        assert f'value="{s.id}"' in html
    for c in r.criteria():
        assert f'value="{c.id}"' in html
    for p in rubric_domain.PRIMITIVES:
        assert f'<option value="{p}"' in html
    # the YAML editor stays available as the advanced path
    assert f"/rubrics/{published.id}/edit" in html
    # and the detail page links to the builder path
    detail = _text(client.get(f"/rubrics/{published.id}"))
    assert f"/rubrics/{published.id}/new-draft" in detail


@pytest.mark.parametrize("role", ["trainer", "agent"])
def test_builder_is_forbidden_for_other_roles(app, db, published, role):
    client = logged_in_client(app, factories.create_user(db, role).username)
    assert client.get(f"/rubrics/{published.id}/builder").status_code == 403
    assert _post(client, published.id, _doc(published)).status_code == 403
    token = csrf_token(client, "/")
    assert client.post(f"/rubrics/{published.id}/new-draft", data={"csrf_token": token}).status_code == 403
    assert _versions(app) == [(1, "published")]


def test_builder_requires_csrf(app, db, published):
    client = logged_in_client(app, factories.create_user(db, "admin").username)
    resp = client.post(f"/rubrics/{published.id}/builder", data={"document": json.dumps(_doc(published))})
    assert resp.status_code in (302, 400)
    assert _versions(app) == [(1, "published")]


# --- saving -----------------------------------------------------------------------------------------------


def test_saving_a_published_version_creates_a_new_draft(app, db, published):
    client = logged_in_client(app, factories.create_user(db, "qa_reviewer").username, lang="en")
    doc = _doc(published)
    doc["title"]["en"] = "Service call QA (2027)"
    doc["sections"][0]["criteria"][0]["weight"] = 8
    resp = _post(client, published.id, doc, lock=published.lock_version)
    assert resp.status_code == 302, _text(resp)[:2000]
    assert _versions(app) == [(1, "published"), (2, "draft")]
    with app.extensions["qa_sessionmaker"]() as s:
        draft = s.scalar(select(RubricVersion).where(RubricVersion.status == "draft"))
        assert resp.headers["Location"].endswith(f"/rubrics/{draft.id}/builder")
        r = rubric_service.to_domain(draft)
        assert r.title_en == "Service call QA (2027)"
        assert r.criterion("greeting").weight == 8
        assert draft.title_en == "Service call QA (2027)"
        # the published version did not change
        old = s.get(RubricVersion, published.id)
        assert old.yaml_text == published.yaml_text and old.content_hash == published.content_hash
    assert "Saved as a new draft v2" in _text(client.get(resp.headers["Location"]))


def test_new_draft_button_creates_then_reopens_the_draft(app, db, published):
    client = logged_in_client(app, factories.create_user(db, "admin").username, lang="en")
    url = f"/rubrics/{published.id}"
    resp = client.post(f"{url}/new-draft", data={"csrf_token": csrf_token(client, url)})
    assert resp.status_code == 302
    assert _versions(app) == [(1, "published"), (2, "draft")]
    first = resp.headers["Location"]
    assert first.endswith("/builder")
    page = client.get(first)
    assert page.status_code == 200 and "Draft v2 created" in _text(page)
    # a second click opens the same draft instead of failing or making a third version
    resp = client.post(f"{url}/new-draft", data={"csrf_token": csrf_token(client, url)})
    assert resp.headers["Location"] == first
    assert _versions(app) == [(1, "published"), (2, "draft")]
    assert _row(app, int(first.split("/")[-2])).content_hash == published.content_hash


def test_editing_a_draft_updates_it_in_place_with_all_fields(app, db, published):
    draft = _draft(app, db, published)
    client = logged_in_client(app, factories.create_user(db, "admin").username)
    doc = _doc(draft)
    doc["description"] = {"zh": "新说明", "en": "New description"}
    doc["sections"].append(
        {
            "id": "compliance",
            "title": {"zh": "合规", "en": "Compliance"},
            "criteria": [
                {
                    "id": "recording_notice",
                    "title": {"zh": "录音告知", "en": "Recording notice"},
                    "guidance": {"zh": "告知客户通话录音", "en": "Tell the caller the call is recorded"},
                    "weight": 2.5,
                    "scale": {"type": "points", "max": 4},
                    "allow_na": True,
                    "critical": "section",
                    "party": "call",
                    "automation": {"primitive": "phrase"},
                    "automation_params": "party: agent\ngroups:\n- [录音, recorded]\n",
                },
                {
                    "id": "calm_customer",
                    "title": {"zh": "客户情绪", "en": "Customer mood"},
                    "weight": 3,
                    "scale": "likert",
                    "allow_na": False,
                    "critical": None,
                    "party": "customer",
                    "automation": None,
                    "automation_params": "ignored: true",
                },
            ],
        }
    )
    resp = _post(client, draft.id, doc, lock=draft.lock_version)
    assert resp.status_code == 302, _text(resp)[:2000]
    assert _versions(app) == [(1, "published"), (2, "draft")]
    row = _row(app, draft.id)
    assert row.lock_version == draft.lock_version + 1
    r = rubric_service.to_domain(row)
    assert (r.description_zh, r.description_en) == ("新说明", "New description")
    c = r.criterion("recording_notice")
    assert c.weight == 2.5 and c.scale.kind == "points" and c.scale.max_points == 4
    assert c.allow_na and c.critical == "section" and c.party == "call"
    assert c.guidance_en == "Tell the caller the call is recorded"
    assert dict(c.automation) == {"primitive": "phrase", "party": "agent", "groups": [["录音", "recorded"]]}
    m = r.criterion("calm_customer")
    assert m.scale.kind == "likert" and m.automation is None and m.party == "customer"
    saved = yaml.safe_load(row.yaml_text)
    assert saved["id"] == "telecom_service" and saved["status"] == "draft" and saved["version"] == 2


def test_intents_round_trip_through_the_builder(app, db, published):
    """An intent chosen as a rule's trigger / condition is saved, scored with, and shown again on reload."""
    draft = _draft(app, db, published)
    client = logged_in_client(app, factories.create_user(db, "admin").username)
    page = html_lib.unescape(_text(client.get(f"/rubrics/{draft.id}/builder")))
    assert 'id="rb-intents"' in page and "account_action" in page and "账户操作" in page  # the reference list
    assert "then_intents" in page  # the ordering check lists the intent keys it understands
    doc = _doc(draft)
    crit = next(c for s in doc["sections"] for c in s["criteria"] if c["id"] == "empathy")
    crit["automation_params"] = (
        "trigger: {party: customer, intents: [dissatisfaction]}\n"
        "response: {party: agent, after_turns: 2, intents: [empathy], any: [抱歉]}\n"
        "intent_low: 0.55\nintent_high: 0.9\n"
    )
    resp = _post(client, draft.id, doc, lock=draft.lock_version)
    assert resp.status_code == 302, _text(resp)[:2000]
    c = rubric_service.to_domain(_row(app, draft.id)).criterion("empathy")
    assert c.automation["trigger"]["intents"] == ["dissatisfaction"]
    assert c.automation["response"]["intents"] == ["empathy"]
    assert (c.automation["intent_low"], c.automation["intent_high"]) == (0.55, 0.9)
    html = html_lib.unescape(_text(client.get(f"/rubrics/{draft.id}/builder")))
    assert "intents: [dissatisfaction]" in html and "intent_high: 0.9" in html


def test_reorder_and_move_between_sections_persists(app, db, published):
    draft = _draft(app, db, published)
    client = logged_in_client(app, factories.create_user(db, "qa_reviewer").username)
    doc = _doc(draft)
    before_sections = [s["id"] for s in doc["sections"]]
    doc["sections"].reverse()  # sections moved
    first = doc["sections"][0]
    first["criteria"].reverse()  # criteria moved within a section
    moved = doc["sections"][1]["criteria"].pop(0)  # a criterion moved to another section
    if not doc["sections"][1]["criteria"]:
        doc["sections"].pop(1)
    first["criteria"].append(moved)
    resp = _post(client, draft.id, doc, lock=draft.lock_version)
    assert resp.status_code == 302, _text(resp)[:2000]
    r = rubric_service.to_domain(_row(app, draft.id))
    assert [s.id for s in r.sections] == [s["id"] for s in doc["sections"]]
    assert [s.id for s in r.sections][0] == before_sections[-1]
    assert [c.id for c in r.sections[0].criteria] == [c["id"] for c in first["criteria"]]
    assert r.section_of(moved["id"]).id == first["id"]
    # the page shows the new order on reload
    html = _text(client.get(f"/rubrics/{draft.id}/builder"))
    positions = [html.index(f'data-f="id" value="{c["id"]}"') for c in first["criteria"]]
    assert positions == sorted(positions)


def test_deleting_sections_and_criteria(app, db, published):
    draft = _draft(app, db, published)
    client = logged_in_client(app, factories.create_user(db, "admin").username)
    doc = _doc(draft)
    removed_section = doc["sections"].pop()
    removed_criterion = doc["sections"][0]["criteria"].pop()
    if not doc["sections"][0]["criteria"]:
        doc["sections"].pop(0)
    assert _post(client, draft.id, doc, lock=draft.lock_version).status_code == 302
    r = rubric_service.to_domain(_row(app, draft.id))
    assert removed_section["id"] not in [s.id for s in r.sections]
    assert removed_criterion["id"] not in r.criterion_ids


def test_rubric_id_version_and_status_come_from_the_server(app, db, published):
    draft = _draft(app, db, published)
    client = logged_in_client(app, factories.create_user(db, "admin").username)
    doc = _doc(draft)
    doc.update(id="someone_else", version=99, status="published")
    assert _post(client, draft.id, doc, lock=draft.lock_version).status_code == 302
    row = _row(app, draft.id)
    assert (row.rubric_key, row.version, row.status) == ("telecom_service", 2, "draft")
    assert _versions(app) == [(1, "published"), (2, "draft")]


# --- validation -------------------------------------------------------------------------------------------


def _break(doc: dict, case: str) -> dict:
    doc = copy.deepcopy(doc)
    c0 = doc["sections"][0]["criteria"][0]
    if case == "negative_weight":
        c0["weight"] = -3
    elif case == "duplicate_id":
        doc["sections"][1]["criteria"][0]["id"] = c0["id"]
    elif case == "points_without_max":
        c0["scale"] = {"type": "points"}
    elif case == "unknown_primitive":
        c0["automation"] = {"primitive": "telepathy"}
        c0["automation_params"] = ""
    elif case == "empty_title":
        c0["title"]["zh"] = ""
    elif case == "empty_rubric_title":
        doc["title"]["zh"] = "  "
    elif case == "bad_params":
        c0["automation"] = {"primitive": "phrase"}
        c0["automation_params"] = "groups: [unclosed"
    elif case == "no_sections":
        doc["sections"] = []
    elif case == "unknown_intent":
        c0["automation"] = {"primitive": "phrase"}
        c0["automation_params"] = "party: agent\nany: [您好]\nintents: [greting]\n"
    return doc


CASES = [
    # (case, zh message, en message, where the message belongs in the page)
    ("negative_weight", "第1节第1项 (greeting): 权重必须是正数", "weight must be positive", "rb-s0-c0"),
    ("duplicate_id", "编号 'greeting' 与第1节第1项重复", "duplicates section 1, criterion 1", "rb-s1-c0"),
    (
        "points_without_max",
        "分值型评分必须给出最高分（正整数）",
        "a points scale needs a maximum",
        "rb-s0-c0",
    ),
    (
        "unknown_primitive",
        "未知的自动评分方法 'telepathy'",
        "unknown automation primitive 'telepathy'",
        "rb-s0-c0",
    ),
    ("empty_title", "第1节第1项 (greeting): 标题（zh）不能为空", "title (zh) must not be empty", "rb-s0-c0"),
    ("empty_rubric_title", "质检标准: 标题（zh）不能为空", "title (zh) must not be empty", ""),
    ("bad_params", "自动评分参数第1行格式错误", "the automation parameters cannot be read", "rb-s0-c0"),
    ("no_sections", "至少需要一个小节", "at least one section is required", ""),
    ("unknown_intent", "未知意图 'greting'", "unknown intent 'greting'", "rb-s0-c0"),
]


@pytest.mark.parametrize(("case", "zh", "en", "anchor"), CASES, ids=[c[0] for c in CASES])
def test_invalid_input_is_400_with_plain_zh_message_and_nothing_saved(
    app, db, published, case, zh, en, anchor
):
    draft = _draft(app, db, published)
    before = _row(app, draft.id)
    client = logged_in_client(app, factories.create_user(db, "qa_reviewer").username)  # zh UI (default)
    doc = _break(_doc(draft), case)
    doc["title"]["en"] = "Unsaved title kept in the form"
    resp = _post(client, draft.id, doc, lock=draft.lock_version)
    assert resp.status_code == 400
    html = html_lib.unescape(_text(resp))
    assert 'id="rb-errors"' in html
    assert zh in html, html[html.find("rb-errors") :][:1500]
    assert "Traceback" not in html
    # the user's unsaved input is still in the form
    assert 'value="Unsaved title kept in the form"' in html
    if anchor:  # the message is attached to the offending criterion (and linked from the summary)
        assert f'href="#{anchor}"' in html
        card = html[html.index(f'id="{anchor}"') :]
        card = card[: card.index('class="rb-criterion', 10) if 'class="rb-criterion' in card[10:] else None]
        assert zh in card
        assert "is-invalid" in card
    # nothing saved
    after = _row(app, draft.id)
    assert (after.yaml_text, after.lock_version) == (before.yaml_text, before.lock_version)
    # and in English when the UI is English
    en_client = logged_in_client(app, factories.create_user(db, "admin").username, lang="en")
    assert en in html_lib.unescape(_text(_post(en_client, draft.id, doc, lock=draft.lock_version)))


def test_invalid_input_on_a_published_version_creates_nothing(app, db, published):
    client = logged_in_client(app, factories.create_user(db, "admin").username)
    resp = _post(client, published.id, _break(_doc(published), "negative_weight"))
    assert resp.status_code == 400
    assert "权重必须是正数" in _text(resp)
    assert _versions(app) == [(1, "published")]


@pytest.mark.parametrize("payload", ["", "{not json", json.dumps([1, 2]), json.dumps({"sections": "x"})])
def test_malformed_documents_are_400_not_500(app, db, published, payload):
    draft = _draft(app, db, published)
    client = logged_in_client(app, factories.create_user(db, "admin").username)
    resp = _post(client, draft.id, payload, lock=draft.lock_version)
    assert resp.status_code == 400
    assert "alert-danger" in _text(resp)
    assert _row(app, draft.id).lock_version == draft.lock_version


# --- concurrency ------------------------------------------------------------------------------------------


def test_stale_lock_version_is_409_and_keeps_input(app, db, published):
    draft = _draft(app, db, published)
    alice = logged_in_client(app, factories.create_user(db, "admin").username, lang="en")
    bob = logged_in_client(app, factories.create_user(db, "qa_reviewer").username, lang="en")
    opened = draft.lock_version  # both open the builder at the same time
    bob_doc = _doc(draft)
    bob_doc["sections"][0]["criteria"][0]["weight"] = 9
    assert _post(bob, draft.id, bob_doc, lock=opened).status_code == 302
    alice_doc = _doc(draft)
    alice_doc["title"]["en"] = "Alice's unsaved title"
    resp = _post(alice, draft.id, alice_doc, lock=opened)
    assert resp.status_code == 409
    html = _text(resp)
    assert "someone else changed this draft" in html
    assert 'value="Alice&#39;s unsaved title"' in html
    r = rubric_service.to_domain(_row(app, draft.id))
    assert r.criterion("greeting").weight == 9 and r.title_en != "Alice's unsaved title"
    # she may deliberately save over Bob's version
    current = _row(app, draft.id).lock_version
    assert f'name="overwrite" value="{current}"' in html
    resp = _post(alice, draft.id, alice_doc, lock=opened, overwrite=str(current))
    assert resp.status_code == 302
    assert rubric_service.to_domain(_row(app, draft.id)).title_en == "Alice's unsaved title"


def test_second_new_draft_from_published_while_one_is_open_is_409(app, db, published):
    _draft(app, db, published)
    client = logged_in_client(app, factories.create_user(db, "admin").username, lang="en")
    resp = _post(client, published.id, _doc(published))
    assert resp.status_code == 409
    assert "already has an unpublished draft" in _text(resp)
    assert _versions(app) == [(1, "published"), (2, "draft")]


# --- preview ----------------------------------------------------------------------------------------------


def test_preview_renders_the_scorecard_without_saving(app, db, published):
    draft = _draft(app, db, published)
    client = logged_in_client(app, factories.create_user(db, "admin").username, lang="en")
    doc = _doc(draft)
    doc["sections"][0]["criteria"][0]["title"]["en"] = "Warm greeting"
    resp = _post(client, draft.id, doc, lock=draft.lock_version, action="preview")
    assert resp.status_code == 200
    html = _text(resp)
    assert "Nothing has been saved yet" in html
    assert "Warm greeting" in html
    # the same scorecard markup as the read-only detail page
    detail = _text(client.get(f"/rubrics/{draft.id}"))
    for marker in ("<th>Guidance</th>", "<th>Automation</th>", "fails evaluation"):
        assert marker in html and marker in detail
    assert _row(app, draft.id).lock_version == draft.lock_version
    # "back to the builder" keeps the unsaved change; "save" from the preview saves it
    back = _post(client, draft.id, doc, lock=draft.lock_version, action="edit")
    assert back.status_code == 200 and 'value="Warm greeting"' in _text(back)
    assert _row(app, draft.id).lock_version == draft.lock_version
    saved = _post(client, draft.id, doc, lock=draft.lock_version, action="save")
    assert saved.status_code == 302
    assert rubric_service.to_domain(_row(app, draft.id)).criterion("greeting").title_en == "Warm greeting"


def test_preview_of_invalid_input_shows_the_errors(app, db, published):
    draft = _draft(app, db, published)
    client = logged_in_client(app, factories.create_user(db, "admin").username)
    resp = _post(client, draft.id, _break(_doc(draft), "negative_weight"), action="preview")
    assert resp.status_code == 400
    assert "权重必须是正数" in _text(resp)


# --- publishing does not re-score -------------------------------------------------------------------------


def test_publishing_a_builder_draft_leaves_scorecards_unchanged(app, db, published, settings):
    admin = factories.create_user(db, "admin")
    call = factories.create_call(
        db, settings, factories.create_agent(db), started_at=datetime(2026, 3, 2, 9, tzinfo=UTC)
    )
    db.add(TranscriptRecord(call_id=call.id, language="zh", data={"segments": []}))
    card = AutoScorecard(call_id=call.id, rubric_version_id=published.id, total=82.5, data={"total": 82.5})
    db.add(card)
    db.commit()
    card_id = card.id

    def score_jobs() -> int:
        with app.extensions["qa_sessionmaker"]() as s:
            kinds = (
                processing.SCORE,
                processing.RESCORE_RANGE,
            )  # a range re-score is one job, expanded later
            return s.scalar(select(func.count()).select_from(Job).where(Job.kind.in_(kinds)))

    jobs_before = score_jobs()
    client = logged_in_client(app, admin.username, lang="en")
    doc = _doc(published)
    doc["sections"][0]["criteria"][0]["weight"] = 20
    resp = _post(client, published.id, doc)
    assert resp.status_code == 302
    draft_id = int(resp.headers["Location"].split("/")[-2])
    url = f"/rubrics/{draft_id}"
    resp = client.post(f"{url}/publish", data={"csrf_token": csrf_token(client, url), "make_default": "1"})
    assert resp.status_code == 302
    assert "Existing scores were not changed" in _text(client.get(resp.headers["Location"]))
    with app.extensions["qa_sessionmaker"]() as s:
        kept = s.get(AutoScorecard, card_id)
        assert (kept.rubric_version_id, kept.total, kept.data) == (published.id, 82.5, {"total": 82.5})
        assert s.get(RubricVersion, draft_id).status == "published"
    assert score_jobs() == jobs_before  # nothing queued by publishing

    # re-scoring happens only when explicitly requested, and is logged
    resp = client.post(
        f"{url}/rescore",
        data={"csrf_token": csrf_token(client, url), "from": "2026-03-01", "to": "2026-03-03"},
    )
    assert resp.status_code == 302
    assert score_jobs() == jobs_before + 1
    with app.extensions["qa_sessionmaker"]() as s:
        assert s.scalar(select(AuditEvent).where(AuditEvent.action == "rescore_requested")) is not None
        assert s.get(AutoScorecard, card_id).total == 82.5  # the job has not run; the card is untouched


def test_builder_opens_a_stored_version_that_no_longer_validates(app, db, published):
    """Validation rules can get stricter after a version was saved: the builder still opens it, lists the
    problems next to the items and lets the editor fix them."""
    draft = _draft(app, db, published)
    with app.extensions["qa_sessionmaker"]() as s:
        row = s.get(RubricVersion, draft.id)
        row.yaml_text = row.yaml_text.replace("primitive: phrase", "primitive: telepathy", 1)
        s.commit()
    client = logged_in_client(app, factories.create_user(db, "admin").username, lang="en")
    resp = client.get(f"/rubrics/{draft.id}/builder")
    assert resp.status_code == 200
    html = html_lib.unescape(_text(resp))
    assert "unknown automation primitive 'telepathy'" in html
    assert 'href="#rb-s0-c0"' in html and '<option value="telepathy" selected>' in html
    fixed = _doc(published)
    assert _post(client, draft.id, fixed, lock=_row(app, draft.id).lock_version).status_code == 302
    assert rubric_service.to_domain(_row(app, draft.id)).criterion("greeting").primitive == "phrase"


def test_a_published_version_that_fails_newer_checks_can_still_be_viewed_and_fixed(app, db, published):
    with app.extensions["qa_sessionmaker"]() as s:
        row = s.get(RubricVersion, published.id)
        row.yaml_text = row.yaml_text.replace("weight: 6", "weight: -6", 1)
        s.commit()
    client = logged_in_client(app, factories.create_user(db, "admin").username, lang="en")
    url = f"/rubrics/{published.id}"
    detail = client.get(url)
    assert detail.status_code == 200
    assert "does not pass the current checks" in _text(detail) and "weight must be positive" in _text(detail)
    resp = client.post(f"{url}/new-draft", data={"csrf_token": csrf_token(client, url)})
    assert resp.status_code == 302
    assert _versions(app) == [(1, "published"), (2, "draft")]
    builder = client.get(resp.headers["Location"])
    assert builder.status_code == 200 and "weight must be positive" in _text(builder)
    draft_id = int(resp.headers["Location"].split("/")[-2])
    # publishing it unchanged is refused; fixing it in the builder works
    pub = client.post(f"/rubrics/{draft_id}/publish", data={"csrf_token": csrf_token(client, url)})
    assert pub.status_code == 400
    assert _row(app, draft_id).status == "draft"
    doc = rubric_domain.to_dict(rubric_domain.load_default())
    assert _post(client, draft_id, doc, lock=_row(app, draft_id).lock_version).status_code == 302
    assert rubric_service.to_domain(_row(app, draft_id)).criterion("greeting").weight == 6
