"""The real-utterance intent evaluation set: candidate sampling and the text join.

    .venv/bin/python bench/intent_eval_sample.py sample > /tmp/intent_candidates.tsv
    .venv/bin/python bench/intent_eval_sample.py join            # bench/data/intent_eval.tsv with texts

``sample`` draws the fixed candidate pool (seed 20261129) that was labelled by hand into
bench/data/intent_eval.tsv; it prints each candidate with the preceding turn as context (for the
annotator only). ``join`` and :func:`load` fill the ``text`` column from ../shared at run time: the
committed file holds source ids and labels only, because neither source may be redistributed here
(STC-3 dialogues: non-commercial research only; JDDC: registration with JD, no licence). See
bench/data/INTENT_EVAL.md. The set is for evaluation only: never train or tune on it.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import re
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
CS = SHARED / "eval" / "cs_dialogue"
JDDC = CS / "jddc_sample" / "chat_0.1per.txt"
STC3 = CS / "ntcir14_stc3_dch" / "stc3_test_cn_joined.jsonl"
DATA = REPO / "bench" / "data" / "intent_eval.tsv"

SEED = 20261129
INTENTS = (
    "identity_request",
    "identity_confirmed",
    "account_action",
    "problem_statement",
    "dissatisfaction",
    "empathy",
    "hold_announcement",
    "thanks_for_waiting",
    "closing_question",
    "farewell",
)
RANDOM_PER_CELL = 60  # uniform draw per (source, role): 4 cells -> 240 rows, ids r001...
ENRICH_PER_STRATUM = 11  # per (stratum, source), ids e001...
MAX_CHARS = 200

# Enrichment strata for the candidate POOL only (so that rare intents get positives). They decide
# which utterances are looked at, never their labels: every label was assigned by reading. Rows drawn
# this way have ids e..., the uniform draw r...; report figures on the r-rows too, since a cue list
# picks cue-like positives.
STRATA: tuple[tuple[str, str, str, int], ...] = (
    (
        "identity",
        "agent",
        r"手机号|电话|订单号|姓名|身份证|验证码|尾号|账号|私信|联系方式",
        ENRICH_PER_STRATUM,
    ),
    ("verified", "agent", r"核对|核实|无误|一致|验证|确认", ENRICH_PER_STRATUM),
    (
        "action",
        "agent",
        r"已为您|已经为您|帮您|为您|提交|取消|退款|修改|登记|申请|办理|操作|开通",
        ENRICH_PER_STRATUM,
    ),
    ("problem", "customer", r"不能|无法|没有|坏|问题|一直|还没|故障|失败|不了|怎么", ENRICH_PER_STRATUM),
    (
        "upset",
        "customer",
        r"投诉|差|垃圾|凭什么|骗|气|太慢|坑|再也|呵呵|！|\?\?|？？|媒体|举报",
        ENRICH_PER_STRATUM,
    ),
    ("empathy", "agent", r"抱歉|不好意思|理解|麻烦|歉|辛苦", ENRICH_PER_STRATUM),
    ("hold", "agent", r"稍等|稍候|查询|查看|核实一下|等一下", ENRICH_PER_STRATUM),
    ("waited", "agent", r"久等|耐心|等待", ENRICH_PER_STRATUM),
    ("closing", "agent", r"还有其他|其他问题|还有什么|其他可以", ENRICH_PER_STRATUM),
    ("farewell", "agent", r"生活愉快|再见|感谢您对|祝您|拜拜", ENRICH_PER_STRATUM),
    # Second round, added after the first 451 candidates were labelled: thanks-for-waiting and
    # identity-confirmed had 4 and 0 positives, so narrower cues for them (appended last, so the
    # draws above are unchanged).
    ("waited2", "agent", r"久等|感谢您的耐心|谢谢您的耐心|让您等|耽误您的时间|等了这么久|等待这么久", 30),
    (
        "verified2",
        "agent",
        r"核对.{0,6}(正确|无误|好了)|验证.{0,4}(通过|成功)|(确认|核实).{0,3}是(您)?本人|已经?核实|核实过|查到了您",
        16,
    ),
)
_PLACEHOLDER_ONLY = re.compile(r"^(\s|\[[^\]]*\]|#E-[a-z]\[[^\]]*\]|[~。，,.!！?？])*$")


@dataclass(frozen=True)
class Utterance:
    source: str  # "jddc:<session>#<line>" or "stc3:<dialogue>#<turn>"
    role: str  # agent | customer
    text: str
    context: str  # the previous turn, for the annotator


def _clean(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def jddc_utterances() -> list[Utterance]:
    """Every line of the JDDC sample; ``#<n>`` is the 0-based line number inside its session."""
    out: list[Utterance] = []
    prev: dict[str, tuple[int, str]] = {}
    with JDDC.open(encoding="utf-8") as fh:
        for line in fh:
            session, _user, is_agent, _tr, _rep, _sku, text = line.rstrip("\n").split("\t")
            n, last = prev.get(session, (-1, ""))
            text = _clean(text)
            prev[session] = (n + 1, text)
            out.append(
                Utterance(f"jddc:{session}#{n + 1}", "agent" if is_agent == "1" else "customer", text, last)
            )
    return out


def stc3_utterances() -> list[Utterance]:
    """Every turn of STC-3 DCH (Chinese); ``#<n>`` is the 0-based turn index, utterances joined."""
    out: list[Utterance] = []
    with STC3.open(encoding="utf-8") as fh:
        for line in fh:
            d = json.loads(line)
            last = ""
            for i, t in enumerate(d["turns"]):
                text = _clean(" ".join(u for u in t["utterances"] if u.strip()))
                role = "customer" if t["sender"] == "customer" else "agent"
                out.append(Utterance(f"stc3:{d['id']}#{i}", role, text, last))
                last = text
    return out


def usable(u: Utterance) -> bool:
    """Non-empty, not a placeholder or emoji alone, at most MAX_CHARS characters."""
    return 2 <= len(u.text) <= MAX_CHARS and u.text != "NULL" and not _PLACEHOLDER_ONLY.match(u.text)


def sample() -> list[tuple[str, Utterance]]:
    """The candidate pool: a uniform draw per (source, role), then cue strata; duplicates dropped."""
    rng = random.Random(SEED)
    pools = {"jddc": jddc_utterances(), "stc3": stc3_utterances()}
    seen: set[str] = set()
    picked: list[tuple[str, Utterance]] = []

    def take(u: Utterance, prefix: str) -> None:
        seen.add(u.text)
        picked.append((f"{prefix}{sum(p.startswith(prefix) for p, _ in picked) + 1:03d}", u))

    for name in ("jddc", "stc3"):
        for role in ("customer", "agent"):
            cands = [u for u in pools[name] if u.role == role and usable(u)]
            rng.shuffle(cands)
            n = 0
            for u in cands:
                if n == RANDOM_PER_CELL:
                    break
                if u.text not in seen:
                    take(u, "r")
                    n += 1
    for _stratum, role, pattern, cap in STRATA:
        rx = re.compile(pattern)
        for name in ("jddc", "stc3"):
            cands = [u for u in pools[name] if u.role == role and usable(u) and rx.search(u.text)]
            rng.shuffle(cands)
            n = 0
            for u in cands:
                if n == cap:
                    break
                if u.text not in seen:
                    take(u, "e")
                    n += 1
    return picked


def source_index() -> dict[str, Utterance]:
    return {u.source: u for u in jddc_utterances() + stc3_utterances()}


def load(path: Path = DATA) -> list[dict[str, str]]:
    """Rows of the evaluation set with ``text`` joined from ../shared (FileNotFoundError when absent)."""
    if not CS.is_dir():
        raise FileNotFoundError(f"shared dialogue data not found at {CS}")
    index = source_index()
    rows: list[dict[str, str]] = []
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE):
            u = index.get(row["source"])
            if u is None or u.role != row["role"]:
                raise ValueError(f"{row['id']}: {row['source']} ({row['role']}) not found in {CS}")
            rows.append({**row, "text": u.text})
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("command", choices=["sample", "join"])
    args = ap.parse_args(argv)
    if not CS.is_dir():
        print(f"skip: shared dialogue data not found at {CS}")
        return 0
    # Texts hold no tabs or newlines (whitespace is collapsed), so plain TAB-joined lines are exact.
    if args.command == "sample":
        print("id\tsource\trole\ttext\tcontext")
        for pid, u in sample():
            print("\t".join([pid, u.source, u.role, u.text, u.context[:80]]))
    else:
        print("id\tsource\trole\ttext\tintents")
        for row in load():
            print("\t".join([row["id"], row["source"], row["role"], row["text"], row["intents"]]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
