"""Rubric YAML round trip, default rubric content, validation messages."""

from __future__ import annotations

import copy

import pytest

import rubrics
from rubrics import RubricValidationError, from_dict, to_dict

DEFAULT_IDS = {
    "greeting",
    "verification",
    "empathy",
    "prohibited_language",
    "closing",
    "complaint_risk",
    "dead_air",
    "overtalk",
    "speech_rate",
    "customer_sentiment",
    "hold_etiquette",
    "solution_confirmation",
    "service_phrases",
    "needs_confirmation",
}


@pytest.fixture(scope="module")
def default():
    return rubrics.load_default()


def minimal() -> dict:
    return {
        "id": "mini",
        "version": 1,
        "title": {"zh": "迷你", "en": "Mini"},
        "sections": [
            {
                "id": "s1",
                "title": {"zh": "第一节", "en": "One"},
                "criteria": [
                    {"id": "a", "title": {"zh": "甲", "en": "A"}, "weight": 2},
                    {
                        "id": "b",
                        "title": {"zh": "乙", "en": "B"},
                        "weight": 3,
                        "scale": {"type": "points", "max": 4},
                    },
                ],
            },
            {
                "id": "s2",
                "title": {"zh": "第二节", "en": "Two"},
                "criteria": [
                    {"id": "c", "title": {"zh": "丙", "en": "C"}, "weight": 1, "scale": "likert"},
                    {"id": "d", "title": {"zh": "丁", "en": "D"}, "weight": 1, "allow_na": True},
                    {"id": "e", "title": {"zh": "戊", "en": "E"}, "weight": 1, "critical": "section"},
                ],
            },
        ],
    }


def test_default_rubric_content(default):
    assert default.id == "telecom_service"
    assert default.status == "published"
    assert default.title_zh == "客服通话质检标准"
    assert default.title_en == "Customer service call QA standard"
    assert DEFAULT_IDS <= set(default.criterion_ids)
    assert sum(c.weight for c in default.criteria()) == pytest.approx(100)
    assert [s.title_zh for s in default.sections] == [
        "开场",
        "业务处理",
        "服务态度",
        "结束",
        "通话质量",
        "风险",
    ]
    assert default.criterion("prohibited_language").critical == "evaluation"
    assert all(c.automation for c in default.criteria())
    assert all(c.guidance_zh and c.guidance_en for c in default.criteria())


def test_default_names_lists_packaged_yaml():
    assert "telecom_service" in rubrics.default_names()


def test_yaml_round_trip_default(default):
    text = rubrics.dumps(default)
    again = rubrics.loads(text)
    assert again == default
    assert again.content_hash == default.content_hash
    assert "客服通话质检标准" in text  # Chinese kept readable


def test_dict_round_trip_minimal_and_scales():
    r = from_dict(minimal())
    assert from_dict(to_dict(r)) == r
    assert r.criterion("b").scale.maximum == 4
    assert r.criterion("c").scale.kind == "likert"
    assert r.status == "draft"


def test_file_round_trip(tmp_path, default):
    path = tmp_path / "r.yaml"
    rubrics.dump(default, path)
    assert rubrics.load(path) == default


def test_content_hash_ignores_version_and_status(default):
    draft = rubrics.new_draft_from(default)
    assert draft.content_hash == default.content_hash
    changed = rubrics.edit(draft, title_en="Other")
    assert changed.content_hash != default.content_hash


def _issues(data) -> list:
    with pytest.raises(RubricValidationError) as exc:
        from_dict(data)
    return list(exc.value.issues)


def test_negative_weight_message_names_section_and_criterion():
    d = minimal()
    d["sections"][1]["criteria"][2]["weight"] = -1
    (issue,) = _issues(d)
    assert issue.path == "sections[1].criteria[2].weight"
    assert issue.text_zh == "第2节第3项 (e): 权重必须是正数"
    assert issue.text_en == "section 2, criterion 3 (e): weight must be positive"
    assert "权重必须是正数" in str(issue) and "weight must be positive" in str(issue)


def test_every_problem_is_reported_at_once():
    d = minimal()
    d["sections"][0]["criteria"][1]["id"] = "a"  # duplicate
    d["sections"][0]["criteria"][1]["scale"] = {"type": "points"}  # no max
    d["sections"][1]["criteria"][0]["scale"] = {"type": "stars"}
    d["sections"][1]["criteria"][1]["critical"] = "always"
    d["sections"][1]["criteria"][1]["automation"] = {"primitive": "telepathy"}
    d["sections"][1]["criteria"][2]["party"] = "supervisor"
    paths = {i.path for i in _issues(d)}
    assert {
        "sections[0].criteria[1].id",
        "sections[0].criteria[1].scale.max",
        "sections[1].criteria[0].scale",
        "sections[1].criteria[1].critical",
        "sections[1].criteria[1].automation.primitive",
        "sections[1].criteria[2].party",
    } <= paths


def test_duplicate_id_message():
    d = minimal()
    d["sections"][1]["criteria"][0]["id"] = "a"
    (issue,) = _issues(d)
    assert "重复" in issue.message_zh and "duplicates section 1, criterion 1" in issue.message_en


def test_unknown_primitive_lists_available():
    d = minimal()
    d["sections"][0]["criteria"][0]["automation"] = {"primitive": "magic"}
    (issue,) = _issues(d)
    assert "未知的自动评分方法" in issue.message_zh
    assert "phrase" in issue.message_en and "magic" in issue.message_en


def test_scale_bounds():
    d = minimal()
    d["sections"][0]["criteria"][1]["scale"] = {"type": "points", "max": 1000}
    (issue,) = _issues(d)
    assert issue.path.endswith("scale.max")
    d = minimal()
    d["sections"][0]["criteria"][1]["scale"] = {"type": "likert", "max": 7}
    (issue,) = _issues(d)
    assert "only a points scale" in issue.message_en


@pytest.mark.parametrize(
    ("mutate", "path"),
    [
        (lambda d: d.update(id="Bad Id"), "id"),
        (lambda d: d.update(version=0), "version"),
        (lambda d: d.update(status="live"), "status"),
        (lambda d: d.update(sections=[]), "sections"),
        (lambda d: d["title"].update(en=""), "title.en"),
        (lambda d: d["sections"][0].update(criteria=[]), "sections[0].criteria"),
        (lambda d: d["sections"][0]["criteria"][0].update(weight="heavy"), "sections[0].criteria[0].weight"),
        (
            lambda d: d["sections"][0]["criteria"][0].update(allow_na="yes"),
            "sections[0].criteria[0].allow_na",
        ),
        (lambda d: d["sections"][0]["criteria"][0].update(wieght=3), "sections[0].criteria[0].wieght"),
    ],
)
def test_single_problems(mutate, path):
    d = copy.deepcopy(minimal())
    mutate(d)
    issues = _issues(d)
    assert path in {i.path for i in issues}
    assert all(i.message_zh and i.message_en for i in issues)


def test_yaml_syntax_error_is_a_validation_error():
    with pytest.raises(RubricValidationError) as exc:
        rubrics.loads("id: [unclosed\n")
    assert "YAML" in str(exc.value)


def test_validate_returns_issues_for_objects_built_in_code(default):
    import dataclasses

    bad_section = dataclasses.replace(
        default.sections[0], criteria=(dataclasses.replace(default.sections[0].criteria[0], weight=0.0),)
    )
    bad = dataclasses.replace(default, sections=(bad_section, *default.sections[1:]))
    issues = rubrics.validate(bad)
    assert [i.path for i in issues] == ["sections[0].criteria[0].weight"]
    assert rubrics.validate(default) == []


def test_dump_never_writes_yaml_anchors(default):
    assert "&id" not in rubrics.dumps(default) and "*id" not in rubrics.dumps(default)


@pytest.mark.parametrize(
    ("automation", "path", "en"),
    [
        (
            {"primitive": "phrase", "any": ["a"], "windw": {}},
            "automation.windw",
            "unknown automation parameter",
        ),
        ({"primitive": "phrase", "any": "您好"}, "automation.any", "must be a list of text"),
        (
            {"primitive": "phrase", "regex": ["(unclosed"]},
            "automation.regex[0]",
            "invalid regular expression",
        ),
        ({"primitive": "dead_air", "max_seconds": "ten"}, "automation.max_seconds", "non-negative number"),
        (
            {"primitive": "triggered", "trigger": {"after_turns": -1}},
            "automation.trigger.after_turns",
            "non-negative",
        ),
        ({"primitive": "phrase", "groups": [["a"], "b"]}, "automation.groups", "list of lists"),
    ],
)
def test_automation_parameters_are_checked(automation, path, en):
    d = minimal()
    d["sections"][0]["criteria"][0]["automation"] = automation
    (issue,) = _issues(d)
    assert issue.path == "sections[0].criteria[0]." + path
    assert en in issue.message_en and issue.message_zh


def test_automation_help_covers_every_primitive():
    from rubrics.automation import ALLOWED_KEYS, HELP

    assert set(HELP) == set(rubrics.PRIMITIVES) == set(ALLOWED_KEYS)


def test_lenient_load_keeps_history_readable():
    """A stored version that a stricter validator now rejects can still be read (strict=False)."""
    import pytest

    import rubrics

    text = rubrics.dumps(rubrics.load_default()).replace("weight: ", "weight: -", 1)
    with pytest.raises(rubrics.RubricValidationError):
        rubrics.loads(text)
    r = rubrics.loads(text, strict=False)
    assert r.criterion_ids == rubrics.load_default().criterion_ids
