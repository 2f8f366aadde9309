"""The Simplified Chinese catalog covers every UI string, keeps its placeholders, and the .pot is current.

When one of these fails after you added or changed a UI string, run ``scripts/update_translations.sh``
and translate the entries it lists in qa_app/translations/zh/LC_MESSAGES/messages.po.
"""

from __future__ import annotations

import gettext
import io
import re
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "qa_app" / "translations"
POT = TRANSLATIONS / "messages.pot"
ZH_PO = TRANSLATIONS / "zh" / "LC_MESSAGES" / "messages.po"
# Same keywords as scripts/update_translations.sh (-k _l -k lazy_gettext on top of the defaults).
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}
FIX = "run scripts/update_translations.sh and translate them in " + str(ZH_PO.relative_to(ROOT))

# printf-style conversions: %(name)s, %d, %.1f, %% ... (Jinja's newstyle gettext always applies
# `msgstr % kwargs`, so a stray % in a translation breaks the page even without placeholders).
_CONVERSION = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[diouxXeEfFgGcrsa%]|%")


def _conversions(text: str) -> list[str]:
    return sorted(_CONVERSION.findall(text))


def _read(path: Path, locale: str | None = None):
    with path.open("rb") as f:
        return read_po(f, locale=locale)


def _ids(catalog) -> set[str]:
    return {m.id if isinstance(m.id, str) else m.id[0] for m in catalog if m.id}


def _short(ids) -> str:
    return "\n  ".join(repr(i) for i in sorted(ids)) or "(none)"


@pytest.fixture(scope="module")
def zh():
    return _read(ZH_PO, locale="zh")


@pytest.fixture(scope="module")
def source_ids() -> set[str]:
    """Extract the msgids from the sources exactly as pybabel does with babel.cfg."""
    with (ROOT / "babel.cfg").open(encoding="utf-8") as f:
        method_map, options_map = parse_mapping_cfg(f, filename=str(ROOT / "babel.cfg"))
    found = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
        ROOT, method_map, options_map, keywords=KEYWORDS
    ):
        found.add(message if isinstance(message, str) else message[0])
    found.discard("")
    return found


def test_sources_have_ui_strings(source_ids):
    # guards against a babel.cfg that silently matches nothing
    assert len(source_ids) > 50
    assert {"Calls", "Rubrics", "Critical item failed"} <= source_ids


def test_every_source_string_is_in_the_zh_catalog(zh, source_ids):
    missing = source_ids - _ids(zh)
    assert not missing, (
        f"{len(missing)} UI string(s) missing from the zh catalog; {FIX}:\n  {_short(missing)}"
    )


def test_pot_matches_sources(source_ids):
    pot = _ids(_read(POT))
    assert pot == source_ids, (
        "messages.pot is out of date; run scripts/update_translations.sh.\n"
        f"new in sources:\n  {_short(source_ids - pot)}\ngone from sources:\n  {_short(pot - source_ids)}"
    )


def test_every_message_is_translated_and_not_fuzzy(zh):
    untranslated = [
        m.id for m in zh if m.id and not all(m.string if isinstance(m.string, tuple) else [m.string])
    ]
    fuzzy = [m.id for m in zh if m.id and m.fuzzy]
    problems = []
    if untranslated:
        problems.append(f"{len(untranslated)} untranslated message(s); {FIX}:\n  {_short(untranslated)}")
    if fuzzy:
        problems.append(
            f"{len(fuzzy)} fuzzy message(s); check each translation, then drop its fuzzy flag:\n  {_short(fuzzy)}"
        )
    assert not problems, "\n".join(problems)


def test_placeholders_match(zh):
    bad = []
    for m in zh:
        if not m.id:
            continue
        ids = m.id if isinstance(m.id, tuple) else (m.id,)
        strings = m.string if isinstance(m.string, tuple) else (m.string,)
        want = _conversions(ids[-1])
        for s in strings:
            if s and _conversions(s) != want:
                bad.append(f"{m.id!r}: {want} vs {_conversions(s)} in {s!r}")
    assert not bad, "placeholders differ between msgid and msgstr:\n  " + "\n  ".join(bad)


def test_catalog_compiles_and_translates(zh):
    buf = io.BytesIO()
    write_mo(buf, zh)
    buf.seek(0)
    t = gettext.GNUTranslations(buf)
    assert t.gettext("Calls") == "通话"
    assert t.gettext("Critical item failed") == "触犯致命项"
    assert t.gettext("API token for %(u)s") % {"u": "qa_li"} == "qa_li 的 API 令牌"
