"""The recording conditions of a case and of the data its calibration was fitted on.

The case's conditions are given (`--condition-enrollment`, `--condition-test`: names of
the `condition` group, e.g. phone or noise_snr10+phone) or measured on its audio (rate,
band, net speech). The calibration data's conditions come from the `condition` column of
the data: the scores a calibration was fitted on, or, for a cross-validated calibration,
the scorer's reference population. A case outside them gets a warning in the report.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from balr.errors import ConfigError
from balr.report.case import CalibrationInfo, Recording

# Net-speech seconds in a condition name (short_5s), as balr extract renames them.
_SECONDS = re.compile(r"(?<![0-9.])\d+(?:\.\d+)?s\b")


@dataclass
class CaseConditions:
    """What the report says about recording conditions.

    Attributes:
        enrollment, test: each side's condition names (given), or [] when measured.
        measured: each audio recording's measured condition, by side.
        calibration: the conditions of the calibration data (None: not recorded).
        reference: the conditions of the scorer's reference population (None: not recorded).
        warning: the mismatch warning, or None.
    """

    enrollment: list[str] = field(default_factory=list)
    test: list[str] = field(default_factory=list)
    measured: dict[str, list[str]] = field(default_factory=dict)
    calibration: list[str] | None = None
    reference: list[str] | None = None
    warning: str | None = None

    def sentences(self) -> list[str]:
        """The report's lines about conditions (the warning first)."""
        lines = [self.warning] if self.warning else []
        case = "; ".join(
            f"{side}: {', '.join(names) or '; '.join(self.measured.get(side, [])) or 'not given'}"
            for side, names in (("enrollment", self.enrollment), ("test", self.test))
        )
        calibration = (
            ", ".join(self.calibration) if self.calibration else "not recorded in its data"
        )
        lines.append(
            f"Recording conditions of the case ({case}); of the calibration data: {calibration}"
            + (
                f"; of the reference population: {', '.join(self.reference)}."
                if self.reference
                else "."
            )
        )
        return lines


def check_names(option: str, name: str | None) -> list[str]:
    """A given condition ('phone' or 'noise_snr10+phone') as preset names; ConfigError else."""
    from balr.config.conditions import CONDITION_PRESETS

    if not name:
        return []
    parts = name.split("+")
    unknown = [p for p in parts if not _known(p, CONDITION_PRESETS)]
    if unknown:
        raise ConfigError(
            f"{option}={name}: unknown condition {unknown[0]!r}: choose from"
            f" {', '.join(CONDITION_PRESETS)} (several joined by '+'; a changed preset as"
            " balr extract recorded it, e.g. short_10s or phone~1a2b3c)"
        )
    return [name]


def _known(part: str, presets: Iterable[str]) -> bool:
    """A preset's name, or the name balr extract records for a changed preset: its seconds
    renamed (short_10s) and/or a digest of its steps appended (phone~1a2b3c)."""
    base = re.sub(r"~[0-9a-f]{6}$", "", part)
    shape = _SECONDS.sub("#", base)
    return any(base == p or (_SECONDS.search(p) and shape == _SECONDS.sub("#", p)) for p in presets)


def case_conditions(
    given: tuple[str | None, str | None],
    sides: tuple[list[Recording], list[Recording]],
    scorer_dir: Path,
    calibration: CalibrationInfo | None,
) -> CaseConditions:
    """The conditions of the case (given, else measured) and of its calibration data."""
    from balr.conditions.measure import measure, mismatch

    out = CaseConditions(
        check_names("condition_enrollment", given[0]), check_names("condition_test", given[1])
    )
    for side, recordings in zip(("enrollment", "test"), sides, strict=True):
        audio = [r for r in recordings if r.kind == "audio" and r.path]
        out.measured[side] = [
            f"{Path(str(r.path)).name}: {measure(Path(str(r.path))).line()}" for r in audio
        ]
    out.reference = reference_conditions(scorer_dir)
    out.calibration = (
        None if calibration is None else calibration_conditions(calibration, out.reference)
    )
    if out.calibration:
        named = out.enrollment + out.test
        out.warning = mismatch(named, out.calibration) if named else _band_warning(out)
    return out


def _band_warning(out: CaseConditions) -> str | None:
    """Measured telephone-band audio against calibration data made under no phone condition."""
    narrow = [m for lines in out.measured.values() for m in lines if "telephone band" in m]
    if not narrow or any("phone" in c for c in out.calibration or []):
        return None
    return (
        f"telephone-band audio measured in the case ({narrow[0]}) but the calibration data"
        f" were made under {', '.join(out.calibration or [])}: the LR was not validated for"
        " this case's conditions (give --condition-enrollment/--condition-test if known)"
    )


def reference_conditions(scorer_dir: Path) -> list[str] | None:
    """The `condition` values of the reference population named in scorer.json."""
    path = scorer_dir / "scorer.json"
    try:
        reference = json.loads(path.read_text()).get("reference") or {}
    except (OSError, ValueError, AttributeError):
        return None
    if not isinstance(reference, dict):
        return None
    if isinstance(reference.get("conditions"), list):
        return [str(c) for c in reference["conditions"]]
    dataset = reference.get("path")
    return column_values(Path(dataset)) if dataset else None


def calibration_conditions(
    calibration: CalibrationInfo, reference: list[str] | None
) -> list[str] | None:
    """The conditions the calibration data were made under, when the data record them."""
    data: dict[str, Any] = calibration.data or {}
    if isinstance(data.get("conditions"), list):
        return [str(c) for c in data["conditions"]]
    fitted_on = data.get("file")
    found = column_values(Path(fitted_on)) if fitted_on else None
    if found is None and data.get("cross_validated"):
        return reference
    return found


def column_values(path: Path) -> list[str] | None:
    """The sorted distinct values of the `condition` column of a CSV or TSV (None: none)."""
    import polars as pl

    if not path.is_file():
        return None
    separator = "\t" if path.suffix in (".tsv", ".txt") else ","
    try:
        header = pl.read_csv(path, separator=separator, n_rows=0).columns
        if "condition" not in header:
            return None
        frame = pl.read_csv(path, separator=separator, columns=["condition"], infer_schema=False)
    except (pl.exceptions.PolarsError, OSError):
        return None
    values = sorted({str(v) for v in frame["condition"].drop_nulls().to_list()})
    return values or None
