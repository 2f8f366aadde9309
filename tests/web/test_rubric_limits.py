"""Rubric pages under hostile input (issue #11, item 2): a "billion laughs" import is refused at once
with a plain message and a small cookie, deeply nested builder JSON is a 400 (it was a 500:
RecursionError), and alias tricks in the builder's automation parameters are refused."""

from __future__ import annotations

import json

import pytest

from qa_app.services import rubrics as rubric_service

import factories
from factories import csrf_token, logged_in_client, post_multipart

LAUGHS = b"""a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
"""
ALIAS_MESSAGE = "YAML anchors and aliases (&amp; and *) are not supported"


def _cookies(resp) -> list[str]:
    return [h for h in resp.headers.getlist("Set-Cookie") if h.startswith("session=")]


@pytest.fixture
def editor(app, db):
    rubric_service.ensure_default(db)
    db.commit()
    return logged_in_client(app, factories.create_user(db, "qa_reviewer").username, lang="en")


def test_billion_laughs_import_is_refused_on_the_page(editor):
    assert len(LAUGHS) < 430
    resp = post_multipart(
        editor,
        "/rubrics/import",
        {"csrf_token": csrf_token(editor, "/rubrics/")},
        [("yaml_file", LAUGHS, "x.yaml")],
    )
    assert resp.status_code == 400
    assert ALIAS_MESSAGE in resp.get_data(as_text=True)
    assert all(len(c) < 4000 for c in _cookies(resp))


def test_a_huge_list_of_problems_is_shortened(editor, app, db):
    row = rubric_service.default_version(db)
    bad = row.yaml_text.replace(
        "sections:", "".join(f"junk_{i}_{'k' * 200}: 1\n" for i in range(2000)) + "sections:"
    )
    resp = post_multipart(
        editor,
        "/rubrics/import",
        {"csrf_token": csrf_token(editor, "/rubrics/")},
        [("yaml_file", bad.replace(f"id: {row.rubric_key}", "id: other", 1).encode(), "x.yaml")],
    )
    assert resp.status_code == 400
    page = resp.get_data(as_text=True)
    assert "more problems" in page and page.count("unknown field") <= rubric_service.MAX_ISSUE_LINES
    assert len(page) < 60_000
    assert all(len(c) < 4000 for c in _cookies(resp))


def test_yaml_editor_refuses_aliases(editor, app, db):
    row = rubric_service.default_version(db)
    url = f"/rubrics/{row.id}/edit"
    text = row.yaml_text.replace("weight: 5", "weight: &w 5", 1).replace("weight: 10", "weight: *w", 1)
    resp = editor.post(url, data={"csrf_token": csrf_token(editor, url), "yaml_text": text})
    assert resp.status_code == 400
    assert ALIAS_MESSAGE in resp.get_data(as_text=True)


def _builder_post(client, version_id: int, document: str, action: str = "save"):
    url = f"/rubrics/{version_id}/builder"
    return client.post(
        url,
        data={
            "csrf_token": csrf_token(client, url),
            "document": document,
            "lock_version": "",
            "action": action,
        },
    )


@pytest.mark.parametrize("document", ["[" * 100_000, '{"sections": ' + "[" * 5000 + "]" * 5000 + "}"])
def test_deeply_nested_builder_json_is_a_400(editor, app, db, document):
    row = rubric_service.default_version(db)
    for action in ("save", "preview"):
        resp = _builder_post(editor, row.id, document, action)
        assert resp.status_code == 400
        assert "alert-danger" in resp.get_data(as_text=True)


def test_builder_nesting_inside_the_limit_but_too_deep_for_a_rubric(editor, app, db):
    row = rubric_service.default_version(db)
    doc = rubric_service.rubric_domain.to_dict(rubric_service.to_domain(row))
    deep: list = []
    cur = deep
    for _ in range(400):  # parses, but copy/validation would recurse
        cur.append([])
        cur = cur[0]
    doc["sections"][0]["criteria"][0]["guidance"] = deep
    resp = _builder_post(editor, row.id, json.dumps(doc))
    assert resp.status_code == 400
    assert "nested too deeply" in resp.get_data(as_text=True)


def test_builder_automation_parameters_cannot_use_aliases(editor, app, db):
    row = rubric_service.default_version(db)
    doc = rubric_service.rubric_domain.to_dict(rubric_service.to_domain(row))
    crit = next(c for s in doc["sections"] for c in s["criteria"] if c.get("automation"))
    crit["automation_params"] = LAUGHS.decode()
    crit["automation"] = {"primitive": crit["automation"]["primitive"]}
    resp = _builder_post(editor, row.id, json.dumps(doc))
    assert resp.status_code == 400
    assert "automation parameters cannot be read" in resp.get_data(as_text=True)
