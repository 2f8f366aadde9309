#!/usr/bin/env bash
# Re-extract the UI strings of qa_app/ into qa_app/translations/messages.pot, merge them into the
# Simplified Chinese catalog (qa_app/translations/zh/LC_MESSAGES/messages.po) and compile the .mo files.
# English needs no catalog: the English msgids are the English UI.
# Afterwards translate every new, empty or fuzzy entry of the zh .po; tests/unit/test_translations.py
# fails (listing them) until that is done, and the .mo files are build output (not committed).
set -euo pipefail
cd "$(dirname "$0")/.."

PYBABEL=${PYBABEL:-.venv/bin/pybabel}
DIR=qa_app/translations
POT=$DIR/messages.pot
PO=$DIR/zh/LC_MESSAGES/messages.po

NEW_POT=$(mktemp)
trap 'rm -f "$NEW_POT"' EXIT
"$PYBABEL" -q extract -F babel.cfg -k _l -k lazy_gettext -k N_ --add-comments=TRANSLATORS: \
    --project="QA & Coaching" --copyright-holder="QA & Coaching" --no-wrap \
    -o "$NEW_POT" .
# keep the old file (and its date) when only POT-Creation-Date would change: no diff noise
if [[ -f $POT ]] && diff -q <(grep -v '^"POT-Creation-Date:' "$POT") <(grep -v '^"POT-Creation-Date:' "$NEW_POT") >/dev/null; then
    echo "messages.pot unchanged"
else
    cp "$NEW_POT" "$POT"
    echo "messages.pot updated ($(grep -c '^msgid "[^"]' "$POT") msgids)"
fi

if [[ -f $PO ]]; then
    "$PYBABEL" update -i "$POT" -d "$DIR" -l zh --no-wrap --ignore-obsolete
else
    "$PYBABEL" init -i "$POT" -d "$DIR" -l zh --no-wrap
fi

"$PYBABEL" compile -d "$DIR" --statistics
