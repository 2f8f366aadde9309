"""coaching.stats against hand-worked and published figures (Newcombe 1998, Price & Bonett 2004)."""

from __future__ import annotations

import math

import pytest

from coaching.stats import adjusted_wald_contrast, newcombe_diff, t_quantile, welch_diff, wilson, z_value

Z = 1.959963984540054


def test_z_value():
    assert z_value() == pytest.approx(Z, abs=1e-12)
    assert z_value(0.90) == pytest.approx(1.644854, abs=1e-6)
    with pytest.raises(ValueError):
        z_value(1.0)


def test_wilson_by_hand_81_of_263():
    # p = 81/263 = 0.307985; z^2/n = 3.841459/263 = 0.014606; denominator 1.014606
    # centre = (0.307985 + 0.007303) / 1.014606 = 0.310750
    # half   = 1.959964/1.014606 * sqrt(0.307985*0.692015/263 + 3.841459/(4*263^2))
    #        = 1.931748 * sqrt(0.00081040 + 0.00001388) = 1.931748 * 0.028711 = 0.055463
    # -> [0.2553, 0.3662], the figures in Newcombe (1998a), Table I.
    ci = wilson(81, 263)
    assert ci.low == pytest.approx(0.2553, abs=5e-5)
    assert ci.high == pytest.approx(0.3662, abs=5e-5)


@pytest.mark.parametrize(
    ("x", "n", "low", "high"),
    [
        (15, 148, 0.0624, 0.1605),  # Newcombe 1998a, Table I
        (0, 20, 0.0, 0.1611),  # 0/n: low is exactly 0, high = z^2/(n+z^2) = 3.8415/23.8415
        (1, 29, 0.0061, 0.1718),
        (20, 20, 0.8389, 1.0),  # n/n mirrors 0/n
    ],
)
def test_wilson_published_values(x, n, low, high):
    ci = wilson(x, n)
    assert ci.low == pytest.approx(low, abs=5e-5)
    assert ci.high == pytest.approx(high, abs=5e-5)


def test_wilson_edges_are_exact_and_inputs_checked():
    assert wilson(0, 20).low == 0.0 and wilson(20, 20).high == 1.0
    assert wilson(0, 20).high == pytest.approx(Z**2 / (20 + Z**2))
    for bad in [(1, 0), (-1, 5), (6, 5)]:
        with pytest.raises(ValueError):
            wilson(*bad)


def test_newcombe_by_hand_56_of_70_minus_48_of_80():
    # p1 = 0.8, Wilson(56/70) = [0.691834, 0.876953]; p2 = 0.6, Wilson(48/80) = [0.490455, 0.700382]
    # low  = 0.2 - sqrt((0.8 - 0.691834)^2 + (0.700382 - 0.6)^2) = 0.2 - sqrt(0.011700 + 0.010077) = 0.0524
    # high = 0.2 + sqrt((0.876953 - 0.8)^2 + (0.6 - 0.490455)^2) = 0.2 + sqrt(0.005922 + 0.012000) = 0.3339
    # Newcombe (1998b) Table II, example (a), method 10: 0.0524, 0.3339.
    ci = newcombe_diff(56, 70, 48, 80)
    assert ci.low == pytest.approx(0.0524, abs=5e-5)
    assert ci.high == pytest.approx(0.3339, abs=5e-5)


@pytest.mark.parametrize(
    ("args", "low", "high"),
    [
        ((9, 10, 3, 10), 0.1705, 0.8090),  # Newcombe 1998b example (b)
        ((6, 7, 2, 7), 0.0582, 0.8062),  # (c)
        ((5, 56, 0, 29), -0.0381, 0.1926),  # (d)
        ((0, 10, 0, 20), -0.1611, 0.2775),  # (e): 0 - 0, yet a real interval
        ((10, 10, 0, 20), 0.6791, 1.0),  # (f)
    ],
)
def test_newcombe_published_values(args, low, high):
    ci = newcombe_diff(*args)
    assert ci.low == pytest.approx(low, abs=5e-5)
    assert ci.high == pytest.approx(high, abs=5e-5)


def test_newcombe_is_antisymmetric():
    a, b = newcombe_diff(7, 12, 30, 40), newcombe_diff(30, 40, 7, 12)
    assert a.low == pytest.approx(-b.high) and a.high == pytest.approx(-b.low)


def test_adjusted_wald_two_groups_is_agresti_caffo():
    # m = 2: add 1 pass and 2 calls to each: 8/12 - 4/12 = 0.333333
    # se = sqrt(2 * (2/3 * 1/3) / 12) = sqrt(0.037037) = 0.192450; half = 1.959964 * 0.192450 = 0.377195
    est, se, ci = adjusted_wald_contrast([(7, 10), (3, 10)], [1, -1])
    assert est == pytest.approx(1 / 3)
    assert se == pytest.approx(0.192450, abs=1e-6)
    assert ci.low == pytest.approx(1 / 3 - 0.377195, abs=1e-6)
    assert ci.high == pytest.approx(1 / 3 + 0.377195, abs=1e-6)


def test_adjusted_wald_difference_in_differences_by_hand():
    # m = 4: add 0.5 pass and 1 call to each cell.
    # coached after 8/10 -> 8.5/11 = 0.772727; coached before 4/10 -> 4.5/11 = 0.409091
    # comparison after 22/40 -> 22.5/41 = 0.548780; comparison before 20/40 -> 20.5/41 = 0.5
    # estimate = (0.772727 - 0.409091) - (0.548780 - 0.5) = 0.314856
    # var = 0.772727*0.227273/11 + 0.409091*0.590909/11 + 0.548780*0.451220/41 + 0.5*0.5/41
    #     = 0.015965 + 0.021976 + 0.006039 + 0.006098 = 0.050078; se = 0.223782
    # interval = 0.314856 -/+ 1.959964 * 0.223782 = [-0.1237, 0.7535]
    est, se, ci = adjusted_wald_contrast([(8, 10), (4, 10), (22, 40), (20, 40)], [1, -1, -1, 1])
    assert est == pytest.approx(0.314856, abs=1e-6)
    assert se == pytest.approx(0.223782, abs=1e-6)
    assert ci.low == pytest.approx(-0.1237, abs=5e-5)
    assert ci.high == pytest.approx(0.7535, abs=5e-5)


def test_adjusted_wald_checks_inputs():
    with pytest.raises(ValueError):
        adjusted_wald_contrast([(1, 2)], [1, -1])
    with pytest.raises(ValueError):
        adjusted_wald_contrast([(1, 2), (1, 2)], [0, 0])
    with pytest.raises(ValueError):
        adjusted_wald_contrast([(1, 0), (1, 2)], [1, -1])


@pytest.mark.parametrize(
    ("df", "exact"),
    # Student-t 97.5% quantiles from any printed table.
    [(1, 12.7062), (2, 4.3027), (3, 3.1824), (6, 2.4469), (10, 2.2281), (30, 2.0423), (1000, 1.9623)],
)
def test_t_quantile_matches_the_table(df, exact):
    tol = 0.004 if df == 3 else 1e-3
    assert t_quantile(df) == pytest.approx(exact, abs=tol)


def test_t_quantile_fractional_small_df_errs_wide():
    assert t_quantile(1.5) == t_quantile(1) and t_quantile(2.5) == t_quantile(2)
    with pytest.raises(ValueError):
        t_quantile(0.5)


def test_welch_by_hand():
    # a: mean 0.8125, deviations .1875 -.3125 .1875 -.0625, variance 0.171875/3 = 0.057292
    # b: mean 0.3125, the same deviations (reordered), variance 0.057292
    # se^2 = 0.057292/4 * 2 = 0.028646; df = 0.028646^2 / (2 * 0.014323^2 / 3) = 6
    # half = t(6) * sqrt(0.028646) = 2.4469 * 0.169251 = 0.4141 -> 0.5 -/+ 0.4141 = [0.0859, 0.9141]
    ci = welch_diff([1, 0.5, 1, 0.75], [0.5, 0.25, 0.5, 0])
    assert (ci.low + ci.high) / 2 == pytest.approx(0.5)
    assert (ci.high - ci.low) / 2 == pytest.approx(2.4469 * math.sqrt(0.028646), abs=2e-4)
    assert welch_diff([1, 1], [0, 0]).low == 1.0  # no spread: a point
    with pytest.raises(ValueError):
        welch_diff([1], [0, 1])
