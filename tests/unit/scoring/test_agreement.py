"""scoring.agreement: Krippendorff's alpha (against the textbook and the ``krippendorff`` package),
percent agreement, CSV input checks, rater deviations and the spread of totals."""

from __future__ import annotations

import math
import random

import pytest

from scoring.agreement import (
    NOTE_NO_UNITS,
    NOTE_NO_VARIATION,
    AgreementError,
    Rating,
    criterion_agreement,
    krippendorff_alpha,
    parse_value,
    percent_agreement,
    rater_deviations,
    read_ratings_csv,
    total_spreads,
)

NAN = math.nan

# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", example C: 4 observers x 12 units
# with missing values (rows are observers). Published: nominal 0.743, interval 0.849.
TEXTBOOK = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, NAN, NAN, NAN],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, NAN, 3],
    [NAN, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, NAN],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, NAN],
]
# Example A: two observers, binary data, 10 units. Published: alpha = 0.095.
BINARY = [[0, 1, 0, 0, 0, 0, 0, 0, 1, 0], [1, 1, 1, 0, 0, 1, 0, 0, 0, 0]]


def _units(matrix: list[list[float]]) -> list[list[float]]:
    """raters x units matrix (NaN = missing) -> the values of each unit."""
    return [[row[j] for row in matrix if not math.isnan(row[j])] for j in range(len(matrix[0]))]


def test_textbook_example_nominal_and_interval():
    units = _units(TEXTBOOK)
    assert round(krippendorff_alpha(units, "nominal"), 3) == 0.743
    assert round(krippendorff_alpha(units, "interval"), 3) == 0.849


def test_textbook_binary_example():
    assert round(krippendorff_alpha(_units(BINARY), "nominal"), 3) == 0.095


@pytest.mark.parametrize("seed", range(40))
def test_matches_the_krippendorff_package_on_random_matrices(seed: int):
    kp = pytest.importorskip("krippendorff")
    np = pytest.importorskip("numpy")
    rng = random.Random(seed)
    n_raters, n_units = rng.randint(2, 7), rng.randint(2, 40)
    n_values = rng.randint(2, 6)
    missing = rng.choice([0.0, 0.2, 0.5])
    matrix = [
        [NAN if rng.random() < missing else float(rng.randint(0, n_values - 1)) for _ in range(n_units)]
        for _ in range(n_raters)
    ]
    units = _units(matrix)
    pairable = [u for u in units if len(u) >= 2]
    if len({v for u in pairable for v in u}) < 2:
        pytest.skip("degenerate draw (no variation): covered by test_no_variation_is_undefined")
    for level in ("nominal", "interval"):
        want = kp.alpha(reliability_data=np.array(matrix), level_of_measurement=level)
        assert krippendorff_alpha(units, level) == pytest.approx(want, abs=1e-9), level


def test_categorical_values_match_the_package_nominal():
    kp = pytest.importorskip("krippendorff")
    np = pytest.importorskip("numpy")
    rng = random.Random(7)
    cats = ["pass", "fail", "na"]
    matrix = [[rng.choice(cats) for _ in range(30)] for _ in range(4)]
    codes = [[float(cats.index(v)) for v in row] for row in matrix]
    want = kp.alpha(reliability_data=np.array(codes), level_of_measurement="nominal")
    units = [[row[j] for row in matrix] for j in range(30)]
    assert krippendorff_alpha(units, "nominal") == pytest.approx(want, abs=1e-9)


def test_no_variation_is_undefined():
    assert krippendorff_alpha([["pass", "pass"], ["pass", "pass", "pass"]], "nominal") is None
    assert krippendorff_alpha([[3.0, 3.0]], "interval") is None
    assert krippendorff_alpha([["pass"], ["fail"]], "nominal") is None  # nothing pairable
    assert krippendorff_alpha([], "nominal") is None


def test_perfect_agreement_with_variation_is_one_and_disagreement_can_be_negative():
    assert krippendorff_alpha([["pass", "pass"], ["fail", "fail"]], "nominal") == pytest.approx(1.0)
    assert krippendorff_alpha([["pass", "fail"], ["fail", "pass"]], "nominal") < 0


def test_percent_agreement_is_pairwise_and_averaged_over_units():
    # unit 1: 3 raters, pairs (a,b) agree, (a,c) (b,c) not -> 1/3; unit 2: 2 agree -> 1; unit 3 single -> out
    units = [["pass", "pass", "fail"], ["na", "na"], ["fail"]]
    assert percent_agreement(units) == pytest.approx((1 / 3 + 1) / 2)
    assert percent_agreement([[2.0, 2.0, 2.0]]) == 1.0
    assert percent_agreement([["pass"]]) is None


# --- input -------------------------------------------------------------------------------------------------


def test_parse_value():
    assert parse_value("Pass") == "pass"
    assert parse_value(" N/A ") == "na"
    assert parse_value("NA") == "na"
    assert parse_value("2.5") == 2.5
    assert parse_value("-1") == -1.0
    assert parse_value("") is None
    for bad in ("maybe", "nan", "inf", "1,5", "0x10"):
        with pytest.raises(AgreementError):
            parse_value(bad)


def test_read_csv_any_column_order_bom_and_blank_value():
    text = "\ufeffValue, Criterion ,rater,unit,extra\npass,g,r1,u1,x\n,g,r2,u1,x\n\n3,p,r1,u1,\n"
    rows = read_ratings_csv(text)
    assert [(r.unit, r.rater, r.criterion, r.value, r.line) for r in rows] == [
        ("u1", "r1", "g", "pass", 2),
        ("u1", "r1", "p", 3.0, 5),
    ]


def test_read_csv_missing_columns():
    with pytest.raises(AgreementError, match="missing column.*criterion") as info:
        read_ratings_csv("unit,rater,value\nu,r,pass\n")
    assert info.value.line == 1
    with pytest.raises(AgreementError, match="empty file"):
        read_ratings_csv("")


def test_read_csv_duplicate_names_both_lines():
    text = "unit,rater,criterion,value\nu1,a,g,pass\nu1,b,g,pass\nu1,a,g,fail\n"
    with pytest.raises(AgreementError, match="line 4: duplicate .*line 2") as info:
        read_ratings_csv(text)
    assert info.value.line == 4


def test_read_csv_bad_value_and_empty_key_name_the_line():
    with pytest.raises(AgreementError, match="line 3: value 'good'"):
        read_ratings_csv("unit,rater,criterion,value\nu,a,g,pass\nu,b,g,good\n")
    with pytest.raises(AgreementError, match="line 2: empty rater"):
        read_ratings_csv("unit,rater,criterion,value\nu,,g,pass\n")
    with pytest.raises(AgreementError, match="line 2: expected 4 fields"):
        read_ratings_csv("unit,rater,criterion,value\nu,a,g\n")


# --- per criterion ---------------------------------------------------------------------------------------


def _rows(spec: str) -> list[Rating]:
    return read_ratings_csv("unit,rater,criterion,value\n" + spec.strip().replace(" ", "\n") + "\n")


def test_criterion_agreement_levels_units_raters():
    rows = _rows(
        "u1,a,g,pass u1,b,g,na u2,a,g,fail u2,b,g,fail u3,c,g,pass "  # u3: single rater, left out
        "u1,a,p,1 u1,b,p,2 u2,a,p,4 u2,c,p,4"
    )
    g, p = criterion_agreement(rows)
    assert (g.criterion, g.level, g.n_units, g.n_raters) == ("g", "nominal", 2, 2)  # c only rated u3
    assert g.percent_agreement == 0.5
    assert g.alpha == pytest.approx(krippendorff_alpha([["pass", "na"], ["fail", "fail"]], "nominal"))
    assert (p.level, p.n_units, p.n_raters, p.note) == ("interval", 2, 3, None)


def test_criterion_agreement_undefined_cases_say_why():
    same, lonely = criterion_agreement(_rows("u1,a,g,pass u1,b,g,pass u1,a,h,2 u2,b,h,3"))
    assert same.alpha is None and same.note == NOTE_NO_VARIATION and same.percent_agreement == 1.0
    assert lonely.alpha is None and lonely.note == NOTE_NO_UNITS
    assert (lonely.n_units, lonely.n_raters, lonely.percent_agreement) == (0, 0, None)
    assert same.to_dict()["alpha"] is None


def test_mixed_values_for_one_criterion_is_an_error():
    with pytest.raises(AgreementError, match="criterion 'g' mixes pass/fail/na and numbers") as info:
        criterion_agreement(_rows("u1,a,g,pass u1,b,g,3"))
    assert info.value.line == 3


# --- raters, totals --------------------------------------------------------------------------------------


def test_rater_deviations_against_consensus_and_expert():
    rows = _rows(
        "u1,a,g,pass u1,b,g,pass u1,x,g,fail "
        "u2,a,g,fail u2,b,g,pass u2,x,g,fail "
        "u1,a,p,4 u1,b,p,2 u1,x,p,2 u2,a,p,3 u2,b,p,3 u2,x,p,1"
    )
    devs = {(d.rater, d.criterion, d.reference): d for d in rater_deviations(rows, expert="x")}
    assert ("x", "g", "consensus") not in devs  # the expert is the reference, not a subject
    # a on g vs the others' majority: u1 others = b pass, x fail -> tie, skipped; u2 others b pass x fail -> tie
    assert devs[("a", "g", "consensus")].n_units == 0
    assert devs[("a", "g", "expert")].disagreement == pytest.approx(0.5)  # u1 pass vs fail, u2 agree
    # a on p vs the mean of the others: u1 4 - 2 = 2, u2 3 - 2 = 1
    a_p = devs[("a", "p", "consensus")]
    assert (a_p.mean_deviation, a_p.mean_abs_deviation, a_p.n_units) == (1.5, 1.5, 2)
    assert devs[("b", "p", "expert")].mean_deviation == pytest.approx(1.0)  # (2-2 + 3-1) / 2


def test_total_spreads_sum_numeric_criteria_of_complete_raters():
    rows = _rows("u1,a,p,4 u1,a,q,1 u1,a,g,pass u1,b,p,2 u1,b,q,1 u1,c,p,5 u2,a,p,1 u2,b,g,pass")
    (spread,) = total_spreads(rows)  # u2: only one numeric rater
    assert spread.unit == "u1"
    assert dict(spread.totals) == {"a": 5.0, "b": 3.0}  # c did not rate q
    assert (spread.minimum, spread.maximum, spread.spread, spread.stdev) == (3.0, 5.0, 2.0, 1.0)
