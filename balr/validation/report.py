"""The validation report as data: what validation.json holds and validation.html shows."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from balr.validation.guideline import Row


@dataclass
class Report:
    """Everything validation.json and validation.html show."""

    conditions: list[dict[str, Any]]
    metrics: dict[str, dict[str, Any]]
    table: list[Row]
    pooled: dict[str, Any]
    speakers_from: str
    baseline: dict[str, Any] | None = None
    bootstrap: dict[str, Any] | None = None
    data_description: str | None = None
    criteria: dict[str, float] = field(default_factory=dict)
    figures: list[str] = field(default_factory=list)
