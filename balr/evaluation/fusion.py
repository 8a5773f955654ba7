"""Linear fusion of several systems' scores into one LLR, fitted like the calibration.

LLR = offset + Σ_i weight_i · s_i, with (weight, offset) from a logistic regression whose
two classes weigh equally (`balr.evaluation.logistic`), which minimises Cllr on the
labelled scores. The scores are standardised for the fit, with a tiny ridge (1e-6) on the
standardised weights, so separable scores give large but finite weights. Each system's
part of a fused LLR is weight_i · s_i: the parts and the offset add up to the unbounded
LLR. By default the fused LLRs are clipped to ELUB bounds computed on the fitting data's
fused LLRs (`balr.evaluation.bounds`), as a calibration's are.

fusion.json: ``{"kind": "fusion", "method": "logistic", "systems": [{"name", "weight",
"scores", "scorer"}, ...], "offset", "bounds": {"kind": "elub", ...} | null, ...extra}``
(``scores``: the score file the system's column came from; ``scorer``: the scorer run that
wrote it, or null).
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, TypeGuard

import numpy as np

from balr.data.atomic import atomic_path
from balr.errors import CalibrationError
from balr.evaluation.bounds import ElubBounds, elub_bounds
from balr.evaluation.logistic import newton_logistic

FUSION_KIND = "fusion"
_RIDGE = 1e-6
_LIMIT = 4 << 20  # a fusion.json is a few hundred bytes


class FusionError(CalibrationError):
    """A fusion file is missing or malformed, or scores do not fit a fusion."""


@dataclass
class FusedSystem:
    """One system of a fusion: its name, weight, and where its scores came from."""

    name: str
    weight: float
    scores: str | None = None
    scorer: str | None = None


@dataclass
class Fusion:
    """A fitted linear fusion (see the module docstring)."""

    systems: list[FusedSystem]
    offset: float
    bounds: ElubBounds | None = None

    @property
    def names(self) -> list[str]:
        """The systems' names, in column order."""
        return [s.name for s in self.systems]

    @classmethod
    def fit(
        cls,
        scores: np.ndarray,
        labels: np.ndarray,
        systems: list[FusedSystem],
        bounds: bool = True,
    ) -> Fusion:
        """Fit on finite scores [P, m] (one column per system) with bool labels [P].

        The weights of `systems` are replaced by the fitted ones; with `bounds`, ELUB
        bounds of the fused LLRs of these scores are computed too.
        """
        s = np.asarray(scores, dtype=np.float64)
        target = np.asarray(labels, dtype=bool)
        center, scale = s.mean(axis=0), s.std(axis=0)
        scale[scale == 0] = 1.0
        design = np.column_stack([(s - center) / scale, np.ones(len(s))])
        ridge = np.append(np.full(s.shape[1], _RIDGE), 0.0)
        theta = newton_logistic(design, target, ridge, np.zeros(s.shape[1] + 1))
        weights = theta[:-1] / scale
        offset = float(theta[-1] - weights @ center)
        fitted = [
            FusedSystem(x.name, float(w), x.scores, x.scorer)
            for x, w in zip(systems, weights, strict=True)
        ]
        fusion = cls(fitted, offset)
        if bounds:
            fusion.bounds = elub_bounds(fusion.apply_unbounded(s) / math.log(10.0), target)
        return fusion

    def parts(self, scores: np.ndarray) -> np.ndarray:
        """float64 [P, m]: each system's part weight_i · s_i of the fused LLRs."""
        weights = np.array([s.weight for s in self.systems])
        return np.asarray(scores, dtype=np.float64) * weights

    def apply_unbounded(self, scores: np.ndarray) -> np.ndarray:
        """Fused natural-log LLRs [P] of scores [P, m] (columns in `names` order)."""
        return self.parts(scores).sum(axis=1) + self.offset

    def apply(self, scores: np.ndarray) -> np.ndarray:
        """`apply_unbounded`, clipped to the bounds (when there are bounds)."""
        llrs = self.apply_unbounded(scores)
        return llrs if self.bounds is None else self.bounds.clip(llrs)

    def save(self, path: Path, **extra: Any) -> None:
        """Write fusion.json atomically, with `extra` facts (e.g. what it was fitted on)."""
        record: dict[str, Any] = {
            "kind": FUSION_KIND,
            "method": "logistic",
            "systems": [asdict(s) for s in self.systems],
            "offset": self.offset,
            "bounds": None if self.bounds is None else self.bounds.to_dict(),
        }
        record |= extra
        with atomic_path(Path(path)) as tmp:
            tmp.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> Fusion:
        """Read a fusion.json written by `save`.

        Raises:
            FusionError: missing, not JSON, or a key missing or malformed (named).
        """
        from balr.data.guard import read_limited

        fix = "give a fusion.json written by `balr score fuse`"
        try:
            data, _ = read_limited(Path(path), _LIMIT, FusionError, "fusion.json")
            record = json.loads(data.decode("utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as err:
            reason = getattr(err, "strerror", None) or type(err).__name__
            raise FusionError(f"{path}: cannot read the fusion ({reason}); {fix}") from None
        if not isinstance(record, dict) or record.get("kind") != FUSION_KIND:
            raise FusionError(f'{path}: not a balr fusion file (no "kind": "fusion"); {fix}')
        offset = record.get("offset")
        if not _finite(offset):
            raise FusionError(f"{path}: 'offset' must be a finite number; {fix}")
        try:
            bounds = record.get("bounds")
            bounds = None if bounds is None else ElubBounds.from_dict(bounds)
        except ValueError as error:
            raise FusionError(f"{path}: {error}; {fix}") from None
        return cls(_systems(record.get("systems"), path, fix), float(offset), bounds)


def _systems(entries: Any, path: Path, fix: str) -> list[FusedSystem]:
    if not isinstance(entries, list) or not entries:
        raise FusionError(f"{path}: 'systems' must be a non-empty list; {fix}")
    systems = []
    for i, entry in enumerate(entries):
        where = f"{path}: systems[{i}]"
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            raise FusionError(f"{where} needs a 'name' (text); {fix}")
        if not _finite(entry.get("weight")):
            raise FusionError(f"{where} ({entry['name']}): 'weight' must be a finite number; {fix}")
        for key in ("scores", "scorer"):
            if entry.get(key) is not None and not isinstance(entry[key], str):
                raise FusionError(f"{where} ({entry['name']}): '{key}' must be a path or null")
        systems.append(
            FusedSystem(
                entry["name"], float(entry["weight"]), entry.get("scores"), entry.get("scorer")
            )
        )
    names = [s.name for s in systems]
    twice = next((n for n in names if names.count(n) > 1), None)
    if twice is not None:
        raise FusionError(f"{path}: system name {twice!r} appears twice; {fix}")
    return systems


def _finite(value: Any) -> TypeGuard[float]:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
