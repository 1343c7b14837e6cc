"""pytest-qt fixtures: the app look (fonts, translations, style) and a task runner that is
always shut down, so no worker thread outlives its test."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest


@pytest.fixture(autouse=True)
def _themed(qapp: Any) -> None:
    from ui.theme import apply_theme

    apply_theme(qapp)


@pytest.fixture
def runner(qapp: Any) -> Iterator[Any]:
    from ui.tasks import TaskRunner

    r = TaskRunner()
    yield r
    r.shutdown()
    qapp.processEvents()
