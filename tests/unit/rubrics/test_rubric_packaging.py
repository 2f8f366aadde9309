"""The default rubric is package data (importlib.resources) and the automation names match scoring."""

from __future__ import annotations

from importlib import resources

import rubrics


def test_default_yaml_is_package_data():
    assert resources.files("rubrics.default").joinpath("telecom_service.yaml").is_file()


def test_rubric_primitive_names_match_scoring_registry():
    from scoring.primitives import REGISTRY

    assert set(REGISTRY) == set(rubrics.PRIMITIVES)


def test_domain_packages_do_not_import_web_or_orm():
    import subprocess
    import sys

    code = (
        "import sys, rubrics, scoring, scoring.engine, scoring.cli, scoring.sentiment;"
        "bad=[m for m in ('flask','sqlalchemy','wtforms','qa_app','snownlp') if m in sys.modules];"
        "print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""  # snownlp too: it must be imported lazily
