"""flask gap-report: the new-hire vs veteran gap per criterion from a verdict CSV."""

from __future__ import annotations

import json

import pytest

HEADER = "agent,cohort,criterion,result,date\n"
FIELDS = {
    "criterion",
    "new_rate",
    "veteran_rate",
    "gap",
    "ci_low",
    "ci_high",
    "n_new",
    "n_veteran",
    "enough_data",
}


def _csv(tmp_path, text: str, encoding="utf-8", name="verdicts.csv"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return str(path)


def _lines(agent, cohort, criterion, passes, fails, day="2026-03-02"):
    return [f"{agent},{cohort},{criterion},pass,{day}"] * passes + [
        f"{agent},{cohort},{criterion},fail,{day}"
    ] * fails


@pytest.fixture
def verdicts_csv(tmp_path):
    lines = [
        *_lines("N1", "new", "greeting", 6, 9),  # 6/15
        "N2,new,greeting,na,2026-03-02",
        *_lines("V1", "veteran", "greeting", 16, 4),  # 16/20
        *_lines("N1", "new", "closing", 3, 0),  # too few
        *_lines("V1", "veteran", "closing", 17, 3),
        *_lines("N2", "new", "empathy", 10, 0),  # 10/10
        *_lines("V2", "veteran", "empathy", 9, 1),  # 9/10
    ]
    return _csv(tmp_path, HEADER + "\n".join(lines) + "\n")


def test_json_is_a_list_of_criteria_sorted_by_gap(runner, verdicts_csv):
    result = runner.invoke(args=["gap-report", verdicts_csv, "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert isinstance(rows, list) and all(set(r) == FIELDS for r in rows)
    assert [r["criterion"] for r in rows] == ["greeting", "empathy", "closing"]
    greeting, empathy, closing = rows
    # 16/20 - 6/15 = 0.8 - 0.4; Newcombe hybrid score interval [0.075216, 0.634410]
    assert greeting["new_rate"] == pytest.approx(0.4) and greeting["veteran_rate"] == pytest.approx(0.8)
    assert greeting["gap"] == pytest.approx(0.4)
    assert greeting["ci_low"] == pytest.approx(0.075216, abs=2e-6)
    assert greeting["ci_high"] == pytest.approx(0.634410, abs=2e-6)
    assert (greeting["n_new"], greeting["n_veteran"], greeting["enough_data"]) == (15, 20, True)
    assert empathy["gap"] == pytest.approx(-0.1) and (empathy["n_new"], empathy["n_veteran"]) == (10, 10)
    assert closing["enough_data"] is False
    assert closing["new_rate"] is None and closing["gap"] is None and closing["ci_low"] is None
    assert closing["ci_high"] is None and closing["veteran_rate"] == pytest.approx(0.85)


def test_min_sample_option(runner, verdicts_csv):
    rows = json.loads(runner.invoke(args=["gap-report", verdicts_csv, "--json", "--min-sample", "11"]).stdout)
    assert {r["criterion"]: r["enough_data"] for r in rows} == {
        "greeting": True,
        "empathy": False,
        "closing": False,
    }
    rows = json.loads(runner.invoke(args=["gap-report", verdicts_csv, "--json", "--min-sample", "3"]).stdout)
    assert all(r["enough_data"] for r in rows)
    bad = runner.invoke(args=["gap-report", verdicts_csv, "--min-sample", "0"])
    assert bad.exit_code == 2


def test_table_without_json(runner, verdicts_csv):
    result = runner.invoke(args=["gap-report", verdicts_csv])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("criterion")
    assert lines[1].split()[:4] == ["greeting", "40.0%", "80.0%", "+40.0"]
    assert "not enough data" in lines[3]


def test_header_only_is_an_empty_list(runner, tmp_path):
    result = runner.invoke(args=["gap-report", _csv(tmp_path, HEADER), "--json"])
    assert result.exit_code == 0 and json.loads(result.stdout) == []


def test_gbk_file_from_excel(runner, tmp_path):
    lines = [*_lines("N", "new", "开场白", 5, 5), *_lines("V", "veteran", "开场白", 9, 1)]
    path = _csv(tmp_path, HEADER + "\r\n".join(lines) + "\r\n", encoding="gbk")
    result = runner.invoke(args=["gap-report", path, "--json"])
    assert result.exit_code == 0, result.output
    (row,) = json.loads(result.stdout)
    assert row["criterion"] == "开场白" and row["gap"] == pytest.approx(0.4)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("agent,cohort,criterion,result\nA,new,g,pass\n", "line 1: missing column(s) date"),
        (
            HEADER + "A,new,g,pass,2026-03-02\nA,junior,g,pass,2026-03-02\n",
            "line 3: cohort must be 'new' or 'veteran'",
        ),
        (HEADER + "A,new,g,ok,2026-03-02\n", "line 2: result must be 'pass', 'fail' or 'na'"),
        (HEADER + "A,new,g,pass,yesterday\n", "line 2: date must be YYYY-MM-DD"),
        ("", "line 1: empty file"),
    ],
)
def test_bad_input_fails_with_the_line_on_stderr(runner, tmp_path, text, message):
    result = runner.invoke(args=["gap-report", _csv(tmp_path, text), "--json"])
    assert result.exit_code == 1
    assert message in result.stderr
    assert result.stdout == ""


def test_unreadable_file(runner, tmp_path):
    missing = runner.invoke(args=["gap-report", str(tmp_path / "nope.csv"), "--json"])
    assert missing.exit_code == 1 and "cannot read" in missing.stderr
    folder = runner.invoke(args=["gap-report", str(tmp_path), "--json"])
    assert folder.exit_code == 1 and "cannot read" in folder.stderr and folder.stdout == ""
    binary = runner.invoke(args=["gap-report", _csv(tmp_path, "\x00\x01"), "--json"])
    assert binary.exit_code == 1 and "not a text file" in binary.stderr
