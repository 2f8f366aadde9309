"""Fixtures for scoring tests (helpers live in scoring_helpers.py)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from scoring_helpers import make_call

import rubrics
from rubrics import Rubric
from transcription.types import Transcript


@pytest.fixture(scope="session")
def default_rubric() -> Rubric:
    return rubrics.load_default()


@pytest.fixture
def call() -> Callable[..., Transcript]:
    return make_call
