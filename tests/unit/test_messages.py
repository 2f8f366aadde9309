"""The message catalogue (rubrics.messages): every code in use has zh and en templates with the same
parameters, every call site passes exactly those parameters, and every template renders.

When one of these fails after you added a message: register its code with a (zh, en) pair in the
package's messages module (scoring/messages.py, qa_app/services/messages.py).
"""

from __future__ import annotations

import ast
import json
import re
import string
from pathlib import Path

import pytest

import rubrics
import scoring.messages  # noqa: F401  (registers the scoring notes)
from qa_app.services import messages as service_messages  # noqa: F401  (registers the service messages)
from rubrics.messages import CATALOGUE, Message, fields, msg, render, terms
from scoring import Scorecard, score
from transcription.types import Transcript

ROOT = Path(__file__).resolve().parents[2]
SOURCES = [
    p
    for pkg in ("rubrics", "scoring", "transcription", "coaching", "qa_app")
    for p in (ROOT / pkg).rglob("*.py")
]
CALLS = ROOT / "tests" / "fixtures" / "scoring" / "calls"
# callables whose first argument is a message code, and their keyword arguments that are not parameters
CODE_TAKERS = {"msg": set(), "Message": set(), "ServiceError": {"field"}, "Invalid": {"field"},
               "NotFound": {"field"}, "Conflict": {"field"}, "Forbidden": {"field"}}  # fmt: skip
CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")


def _name(func: ast.expr) -> str:
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""


def _call_sites():
    """(where, code or f-string prefix, parameter names or None when unknown, is_prefix) of every call
    that builds a message from a literal code."""
    for path in SOURCES:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or _name(node.func) not in CODE_TAKERS or not node.args:
                continue
            where = f"{path.relative_to(ROOT)}:{node.lineno}"
            first = node.args[0]
            skip = CODE_TAKERS[_name(node.func)]
            names = (
                None if any(k.arg is None for k in node.keywords) else {k.arg for k in node.keywords} - skip
            )
            if _name(node.func) == "Message" and len(node.args) > 1:
                names = None
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                yield where, first.value, names, False
            elif (
                isinstance(first, ast.JoinedStr)
                and first.values
                and isinstance(first.values[0], ast.Constant)
            ):
                yield where, first.values[0].value, None, True


def _audio_keys():
    """The keys of transcription.audio.AudioError raises (shown to users as ``audio.<key>``)."""
    tree = ast.parse((ROOT / "transcription" / "audio.py").read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _name(node.func) == "AudioError" and node.args:
            key = next((k.value.value for k in node.keywords if k.arg == "key"), node.args[0].value)
            params = {k.arg for k in node.keywords if k.arg != "key"}
            yield f"transcription/audio.py:{node.lineno}", key, params


def test_the_scan_finds_the_call_sites():
    codes = {code for _w, code, _n, _p in _call_sites()}
    assert {"phrase.found", "accounts.username_taken", "rubrics.invalid", "window.limit."} <= codes
    assert len(codes) > 100


def test_every_code_used_is_registered_with_the_parameters_passed():
    problems = []
    for where, code, names, is_prefix in _call_sites():
        if is_prefix:
            if not any(c.startswith(code) for c in CATALOGUE):
                problems.append(f"{where}: no code starts with {code!r}")
        elif code not in CATALOGUE:
            problems.append(f"{where}: {code!r} is not registered")
        elif names is not None and names != fields(CATALOGUE[code]["en"]):
            problems.append(
                f"{where}: {code!r} gets {sorted(names)}, its templates use {sorted(fields(CATALOGUE[code]['en']))}"
            )
    for where, key, params in _audio_keys():
        code = f"audio.{key}"
        if code not in CATALOGUE:
            problems.append(f"{where}: {code!r} is not registered")
        elif params != fields(CATALOGUE[code]["en"]):
            problems.append(
                f"{where}: {code!r} gets {sorted(params)}, its templates use {sorted(fields(CATALOGUE[code]['en']))}"
            )
    assert not problems, "\n".join(problems)


def test_both_languages_use_the_same_parameters_and_the_right_script():
    problems = []
    for code, t in CATALOGUE.items():
        if set(t) != {"zh", "en"}:
            problems.append(f"{code}: languages {sorted(t)}")
            continue
        if fields(t["zh"]) != fields(t["en"]) or terms(t["zh"]) != terms(t["en"]):
            problems.append(f"{code}: zh uses {sorted(fields(t['zh']))}, en uses {sorted(fields(t['en']))}")
        if CJK.search(t["en"]):
            problems.append(f"{code}: Chinese in the English template {t['en']!r}")
        for prefix in terms(t["en"]):
            if not any(c.startswith(prefix + ".") for c in CATALOGUE):
                problems.append(f"{code}: no terms {prefix}.*")
    assert not problems, "\n".join(problems)


def _sample(spec: str, prefix_terms: dict[str, str]):
    if spec.startswith("@"):
        return prefix_terms[spec[1:]]
    if spec in (",", ";"):
        return ["甲", "乙"]
    if spec and spec[-1] in "fgeE%":
        return 1.5
    if spec and spec[-1] in "dn":
        return 2
    return "x"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_template_renders(lang):
    first_term = {}
    for c in CATALOGUE:
        first_term.setdefault(c.rsplit(".", 1)[0], c.rsplit(".", 1)[1])
    for code, t in CATALOGUE.items():
        params = {
            name.split(".")[0]: _sample(spec, first_term)
            for _lit, name, spec, _conv in string.Formatter().parse(t[lang])
            if name
        }
        out = render(Message(code, params), lang, strict=True)
        assert "{" not in out, (code, out)


def test_scored_calls_render_strictly_in_both_languages_and_round_trip():
    rubric = rubrics.load_default()
    for path in sorted(CALLS.glob("*.json")):
        card = score(Transcript.from_dict(json.loads(path.read_text(encoding="utf-8"))), rubric)
        notes = [r.note for r in card.criteria] + [
            x for r in card.criteria for e in r.evidence for x in (e.note, e.text)
        ]
        for note in notes:
            for lang in ("zh", "en"):
                render(note, lang, strict=True)
        d = json.loads(json.dumps(card.to_dict("en"), ensure_ascii=False))
        for row in d["criteria"]:
            assert row["note_message"]["code"] in CATALOGUE
            assert row["note"] == render(row["note_message"], "en")
        assert Scorecard.from_dict(d).to_dict("en") == d


def test_render_basics():
    m = msg("window.first_turns", n=3, party="agent")
    assert (render(m, "zh"), render(m, "en-US")) == ("前3句坐席话语", "first 3 agent turns")
    assert render(msg("window.turns", n=2, party="any"), "en") == "2 turns"  # the empty term leaves no gap
    assert render(Message.from_dict(m.to_dict()), "en") == "first 3 agent turns"
    nested = msg("ordering.verification", hit=msg("match.exact", phrase="您好"))
    assert (
        render(nested, "en") == "verification: matched '您好'"
        and render(nested, "zh") == "身份核实: 命中「您好」"
    )
    assert Message.from_dict(json.loads(json.dumps(nested.to_dict()))) == nested
    lists = msg(
        "phrase.not_found", where=msg("window.turns", n=1, party="agent"), missing=[["a", "b"], ["c"]]
    )
    assert render(lists, "en") == "not found in the 1 agent turns: a, b; c"
    assert render(lists, "zh") == "在1句坐席话语中未找到: a、b；c"
    assert render({"zh": "中", "en": "en"}, "en") == "en"
    assert render("旧的说明 / old note", "en") == "旧的说明 / old note"  # stored before notes had codes
    assert render(msg("no.such.code", n=1), "en").startswith("no.such.code")  # never breaks a page
    with pytest.raises(KeyError):
        render(msg("no.such.code"), "en", strict=True)
