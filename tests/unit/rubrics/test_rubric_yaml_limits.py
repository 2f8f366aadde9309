"""Rubric YAML cannot explode (issue #11, item 2): anchors and aliases are refused before anything is
built, nesting is bounded, and every error text is short whatever the document holds."""

from __future__ import annotations

import tracemalloc

import pytest
import yaml

import rubrics
from rubrics import RubricValidationError
from rubrics.io import MAX_DEPTH, MAX_ISSUES, depth_exceeds, safe_load

# 9 x 9^5 "lol" strings once expanded (59k); the security test's 423-byte version had 9 levels (387M)
LAUGHS = """id: laughs
title: {zh: 笑, en: laughs}
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
sections:
  - id: s
    title: S
    criteria:
      - {id: c, title: C, weight: 1, critical: *e}
"""


def _messages(text: str) -> list[str]:
    with pytest.raises(RubricValidationError) as err:
        rubrics.loads(text)
    return err.value.messages("en")


def test_billion_laughs_is_refused_before_expansion():
    tracemalloc.start()
    try:
        messages = _messages(LAUGHS)
        _cur, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert messages == [
        "line 3: YAML anchors and aliases (& and *) are not supported; write the content out in full"
    ]
    assert peak < 2_000_000


def test_a_valid_rubric_with_one_alias_is_refused_too():
    text = rubrics.dumps(rubrics.load_default())
    text = text.replace("weight: 5", "weight: &w 5", 1).replace("weight: 10", "weight: *w", 1)
    assert "&w" in text and "*w" in text
    assert "anchors and aliases" in _messages(text)[0]


def test_merge_keys_need_aliases_and_are_refused():
    assert "anchors and aliases" in _messages("base: &b {weight: 1}\nother:\n  <<: *b\n")[0]


@pytest.mark.parametrize("text", ["[" * 100_000, "a: " + "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1)])
def test_deep_nesting_is_refused_without_recursion_error(text):
    assert _messages(text) == [f"line 1: the document nests deeper than {MAX_DEPTH} levels"]


def test_safe_load_reads_plain_yaml_and_refuses_aliases():
    assert safe_load("a: [1, {b: c}]") == {"a": [1, {"b": "c"}]}
    with pytest.raises(yaml.YAMLError):
        safe_load("a: &x 1\nb: *x")


def test_depth_check_on_json_like_data():
    deep: list = []
    cur = deep
    for _ in range(10_000):
        cur.append([])
        cur = cur[0]
    assert depth_exceeds(deep) and not depth_exceeds({"a": [{"b": [1]}]})
    assert not depth_exceeds(rubrics.to_dict(rubrics.load_default()))


def test_error_text_is_capped_in_length_and_number():
    key = "k" * 50_000
    doc = {"id": "x", "title": "t", "sections": [{"id": f"s{i}", f"{key}{i}": 1} for i in range(500)]}
    with pytest.raises(RubricValidationError) as err:
        rubrics.from_dict(doc)
    messages = err.value.messages("en")
    assert len(messages) == MAX_ISSUES + 1
    assert max(len(m) for m in messages) < 400
    assert "more problems" in messages[-1]
    assert sum(len(m) for m in messages) < 40_000


def test_yaml_syntax_errors_are_short():
    (message,) = _messages("a: b\n" + "x" * 100_000 + ": [unclosed\n")
    assert message.startswith("line ") and len(message) < 400
