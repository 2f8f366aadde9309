"""`flask agreement RATINGS.csv [--json]`: the contract checked by integrations."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

HEADER = "unit,rater,criterion,value\n"


def _csv(tmp_path: Path, body: str, name: str = "ratings.csv") -> str:
    path = tmp_path / name
    path.write_text(HEADER + body, encoding="utf-8")
    return str(path)


def test_json_output_per_criterion(runner, tmp_path):
    path = _csv(
        tmp_path,
        "c1,a,问候,pass\nc1,b,问候,pass\nc2,a,问候,fail\nc2,b,问候,na\nc3,a,问候,pass\n"
        "c1,a,points,3\nc1,b,points,4\nc2,a,points,2\nc2,b,points,2\nc2,c,points,2.5\n",
    )
    result = runner.invoke(args=["agreement", path, "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert [d["criterion"] for d in data] == ["问候", "points"]
    greet, points = data
    assert {"criterion", "level", "alpha", "percent_agreement", "n_units", "n_raters"} <= greet.keys()
    assert (greet["level"], greet["n_units"], greet["n_raters"]) == ("nominal", 2, 2)  # c3 left out
    assert greet["percent_agreement"] == pytest.approx(0.5)
    assert (points["level"], points["n_units"], points["n_raters"]) == ("interval", 2, 3)
    assert isinstance(points["alpha"], float)


def test_json_matches_the_krippendorff_package(runner, tmp_path):
    kp = pytest.importorskip("krippendorff")
    np = pytest.importorskip("numpy")
    import random

    rng = random.Random(3)
    cats = ["pass", "fail", "na"]
    lines, cat_matrix, num_matrix = [], [], []
    for r in range(4):
        cat_row, num_row = [], []
        for u in range(25):
            c, n = rng.choice(cats), rng.randint(0, 5)
            lines.append(f"u{u},r{r},g,{c}\nu{u},r{r},p,{n}\n")
            cat_row.append(float(cats.index(c)))
            num_row.append(float(n))
        cat_matrix.append(cat_row)
        num_matrix.append(num_row)
    result = runner.invoke(args=["agreement", _csv(tmp_path, "".join(lines)), "--json"])
    assert result.exit_code == 0, result.output
    got = {d["criterion"]: d for d in json.loads(result.output)}
    want_g = kp.alpha(reliability_data=np.array(cat_matrix), level_of_measurement="nominal")
    want_p = kp.alpha(reliability_data=np.array(num_matrix), level_of_measurement="interval")
    assert got["g"]["alpha"] == pytest.approx(want_g, abs=1e-9)
    assert got["p"]["alpha"] == pytest.approx(want_p, abs=1e-9)
    assert got["g"]["n_units"] == 25 and got["g"]["n_raters"] == 4


def test_no_variation_prints_null_alpha(runner, tmp_path):
    result = runner.invoke(args=["agreement", _csv(tmp_path, "c1,a,g,pass\nc1,b,g,pass\n"), "--json"])
    assert result.exit_code == 0, result.output
    (row,) = json.loads(result.output)
    assert row["alpha"] is None and "no variation" in row["note"]
    assert row["percent_agreement"] == 1.0


def test_table_output(runner, tmp_path):
    result = runner.invoke(args=["agreement", _csv(tmp_path, "c1,a,g,pass\nc1,b,g,fail\nc2,a,g,pass\nc2,b,g,pass\n")])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == ["criterion", "level", "alpha", "agree%", "units", "raters"]
    assert lines[1].split()[:2] == ["g", "nominal"]
    assert lines[1].split()[3:] == ["50.0", "2", "2"]


@pytest.mark.parametrize(
    ("body", "header", "message"),
    [
        ("c1,a,pass\n", "unit,rater,value\n", "missing column(s) criterion"),
        ("c1,a,g,pass\nc1,b,g,pass\nc1,a,g,fail\n", HEADER, "line 4: duplicate"),
        ("c1,a,g,pass\nc1,b,g,3\n", HEADER, "mixes pass/fail/na and numbers"),
        ("c1,a,g,good\n", HEADER, "line 2: value 'good'"),
    ],
)
def test_bad_input_exits_non_zero_with_a_clear_message(runner, tmp_path, body, header, message):
    path = tmp_path / "bad.csv"
    path.write_text(header + body, encoding="utf-8")
    result = runner.invoke(args=["agreement", str(path), "--json"])
    assert result.exit_code != 0
    assert message in result.output


def test_missing_file_exits_non_zero(runner, tmp_path):
    result = runner.invoke(args=["agreement", str(tmp_path / "nope.csv")])
    assert result.exit_code != 0
