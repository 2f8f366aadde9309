"""Set Simplified Chinese translations in the zh catalogue without hand-editing the .po.

    printf 'dispute raised\t申诉已提交\n' | .venv/bin/python scripts/po_set.py
    .venv/bin/python scripts/po_set.py --from OTHER.po   # take translations for still-empty entries

Reads "msgid<TAB>msgstr" lines from stdin (or copies from another catalogue), fills entries of
qa_app/translations/zh/LC_MESSAGES/messages.po, clears their fuzzy flag, and lists msgids that remain
untranslated, and compiles the .mo. Run scripts/update_translations.sh first so that new msgids are in the catalogue.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

PO = Path(__file__).resolve().parent.parent / "qa_app/translations/zh/LC_MESSAGES/messages.po"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--from", dest="source", type=Path, help="copy translations from this .po")
    args = ap.parse_args()
    with PO.open("rb") as f:
        cat = read_po(f, locale="zh")
    wanted: dict[str, str] = {}
    if args.source:
        with args.source.open("rb") as f:
            for m in read_po(f, locale="zh"):
                if m.id and m.string and "fuzzy" not in m.flags:
                    wanted[m.id if isinstance(m.id, str) else m.id[0]] = m.string
    else:
        for line in sys.stdin.read().splitlines():
            if "\t" in line:
                k, v = line.split("\t", 1)
                wanted[k] = v
    changed = 0
    for m in cat:
        key = m.id if isinstance(m.id, str) else (m.id[0] if m.id else "")
        if not key or key not in wanted:
            continue
        if args.source and m.string and "fuzzy" not in m.flags:
            continue  # --from only fills what is missing
        m.string = wanted[key]
        m.flags.discard("fuzzy")
        changed += 1
    with PO.open("wb") as f:
        write_po(f, cat, width=0, include_previous=False)
    with PO.with_suffix(".mo").open("wb") as f:  # the compiled catalogue the app reads
        write_mo(f, cat)
    missing = [m.id for m in cat if m.id and (not m.string or "fuzzy" in m.flags)]
    print(f"{changed} set; {len(missing)} untranslated" + "".join(f"\n  {x!r}" for x in missing))
    return 0


if __name__ == "__main__":
    sys.exit(main())
