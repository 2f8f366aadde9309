"""QA_SERVICE_LEVEL_SECONDS and QA_FCR_WINDOW_HOURS: defaults, overrides, and a clear refusal of nonsense."""

from __future__ import annotations

import pytest

from qa_app.settings import Settings

BASE = {"QA_SECRET_KEY": "x"}


def test_kpi_defaults(tmp_path):
    s = Settings.from_env({**BASE, "QA_INSTANCE_DIR": str(tmp_path)})
    assert (s.service_level_seconds, s.fcr_window_hours) == (20.0, 24.0)


def test_kpi_overrides(tmp_path):
    s = Settings.from_env(
        {
            **BASE,
            "QA_INSTANCE_DIR": str(tmp_path),
            "QA_SERVICE_LEVEL_SECONDS": "15",
            "QA_FCR_WINDOW_HOURS": "48",
        }
    )
    assert (s.service_level_seconds, s.fcr_window_hours) == (15.0, 48.0)


@pytest.mark.parametrize("name", ["QA_SERVICE_LEVEL_SECONDS", "QA_FCR_WINDOW_HOURS"])
@pytest.mark.parametrize("value", ["0", "-5", "abc", "inf", "nan"])
def test_kpi_settings_refuse_nonsense(tmp_path, name, value):
    with pytest.raises(ValueError, match=name):
        Settings.from_env({**BASE, "QA_INSTANCE_DIR": str(tmp_path), name: value})
