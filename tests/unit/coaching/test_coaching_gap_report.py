"""The gap-report CSV reader and report rows (the CLI contract, without Flask)."""

from __future__ import annotations

import pytest

from coaching.gap_report import GapReportInputError, decode, format_table, gap_report, parse_verdicts_csv

HEADER = "agent,cohort,criterion,result,date\n"


def rows(*lines: str) -> str:
    return HEADER + "".join(line + "\n" for line in lines)


def test_reads_rows_case_and_order_free_with_extra_columns():
    text = "Date, RESULT ,criterion,cohort,agent,team\n2026-03-02,PASS,greeting,Veteran,A1,T1\n2026-03-02T10:00:00+08:00,na,开场白,new,A2,\n"
    verdicts = parse_verdicts_csv(text)
    assert [(x.agent_id, x.cohort, x.criterion, x.result) for x in verdicts] == [
        ("A1", "veteran", "greeting", "pass"),
        ("A2", "new", "开场白", "na"),
    ]


def test_every_bad_line_is_reported_with_its_number():
    text = rows(
        "A,new,greeting,pass,2026-03-02",
        "A,old,greeting,pass,2026-03-02",  # line 3
        "",  # line 4: blank, skipped
        'A,new,"multi',  # line 5: a quoted field running onto line 6
        'line",maybe,2026-03-02',
        "A,new,greeting,fail,2026/03/02",  # line 7
        ",new,,pass,2026-03-02",  # line 8
        "A,new,greeting",  # line 9: short row
    )
    with pytest.raises(GapReportInputError) as exc:
        parse_verdicts_csv(text)
    assert [str(p) for p in exc.value.problems] == [
        "line 3: cohort must be 'new' or 'veteran', got 'old'",
        "line 5: result must be 'pass', 'fail' or 'na', got 'maybe'",
        "line 7: date must be YYYY-MM-DD, got '2026/03/02'",
        "line 8: empty agent",
        "line 8: empty criterion",
        "line 9: result must be 'pass', 'fail' or 'na', got ''",
        "line 9: date must be YYYY-MM-DD, got ''",
    ]


def test_header_problems():
    with pytest.raises(GapReportInputError, match=r"line 1: missing column\(s\) date"):
        parse_verdicts_csv("agent,cohort,criterion,result\nA,new,g,pass\n")
    with pytest.raises(GapReportInputError, match="line 1: empty file"):
        parse_verdicts_csv("")
    with pytest.raises(GapReportInputError, match="line 3: missing column"):
        parse_verdicts_csv("\n,,\nfoo,bar\n")  # blank and empty rows before the header are skipped
    assert parse_verdicts_csv(HEADER) == []


def test_long_error_lists_are_cut():
    with pytest.raises(GapReportInputError) as exc:
        parse_verdicts_csv(rows(*["A,x,g,pass,2026-03-02"] * 25))
    assert len(exc.value.problems) == 25
    assert str(exc.value).splitlines()[-1] == "... and 5 more bad lines"


def test_decode_utf8_bom_gbk_and_binary():
    assert decode("\ufeffagent".encode()) == "agent"
    assert decode("开场白".encode("gbk")) == "开场白"
    with pytest.raises(GapReportInputError, match="not a text file"):
        decode(b"PK\x03\x04\x00\x00")


def _report_fixture() -> str:
    lines = []
    lines += ["N1,new,greeting,pass,2026-03-02"] * 6 + ["N1,new,greeting,fail,2026-03-02"] * 9
    lines += ["N2,new,greeting,na,2026-03-02"] * 2
    lines += ["V1,veteran,greeting,pass,2026-03-02"] * 16 + ["V1,veteran,greeting,fail,2026-03-02"] * 4
    lines += ["N1,new,closing,pass,2026-03-02"] * 3
    lines += ["V1,veteran,closing,pass,2026-03-02"] * 17 + ["V1,veteran,closing,fail,2026-03-02"] * 3
    lines += ["N2,new,empathy,pass,2026-03-02"] * 10
    lines += ["V2,veteran,empathy,pass,2026-03-02"] * 9 + ["V2,veteran,empathy,fail,2026-03-02"]
    lines += ["V2,veteran,hold,na,2026-03-02"]
    return rows(*lines)


def test_report_rows_by_hand():
    report = gap_report(parse_verdicts_csv(_report_fixture()))
    assert [r["criterion"] for r in report] == ["greeting", "empathy", "closing", "hold"]
    greeting, empathy, closing, hold = report
    # greeting: 6/15 vs 16/20 -> gap 0.4, Newcombe [0.075216, 0.634410] (worked in test_coaching_gaps)
    assert greeting == {
        "criterion": "greeting",
        "new_rate": pytest.approx(0.4),
        "veteran_rate": pytest.approx(0.8),
        "gap": pytest.approx(0.4),
        "ci_low": pytest.approx(0.075216, abs=2e-6),
        "ci_high": pytest.approx(0.634410, abs=2e-6),
        "n_new": 15,
        "n_veteran": 20,
        "enough_data": True,
    }
    assert empathy["gap"] == pytest.approx(-0.1) and empathy["enough_data"]
    # three new-hire calls: no rate, no gap, no interval
    assert closing == {
        "criterion": "closing",
        "new_rate": None,
        "veteran_rate": pytest.approx(0.85),
        "gap": None,
        "ci_low": None,
        "ci_high": None,
        "n_new": 3,
        "n_veteran": 20,
        "enough_data": False,
    }
    assert (hold["n_new"], hold["n_veteran"], hold["enough_data"], hold["veteran_rate"]) == (
        0,
        0,
        False,
        None,
    )


def test_table_output():
    text = format_table(gap_report(parse_verdicts_csv(_report_fixture())))
    lines = text.splitlines()
    assert lines[0].split() == ["criterion", "new", "veteran", "gap", "95%", "CI", "n_new", "n_veteran"]
    assert lines[1].split() == ["greeting", "40.0%", "80.0%", "+40.0", "[+7.5,", "+63.4]", "15", "20"]
    assert "not enough data" in lines[3] and lines[3].split()[:3] == ["closing", "-", "85.0%"]
    assert "at least 10" in lines[-1]
    assert format_table([]) == "no criteria in the file"
