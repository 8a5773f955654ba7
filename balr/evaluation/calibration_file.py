"""calibration.json: what `balr score calibrate` writes and every command that calibrates reads.

``{"kind": "affine"|"bigauss", "method": "logistic"|"bigauss", "a": slope, "b": offset,
"sigma2": ..., "knots": {"q": [...], "ecdf": [...]} (bigauss only), "bounds": {"kind":
"elub", "log10_lower": L, "log10_upper": U, "n_target": N1, "n_nontarget": N0} | null,
"data": {...what it was fitted on...}, "scorer": {"sha256": ..., "path": ...} | null}``
plus any extra keys (Cllr before/after, ...). Older files hold only kind "affine", a, b.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, TypeGuard

import numpy as np

from balr.data.atomic import atomic_path
from balr.data.guard import CALIBRATION_LIMIT, read_limited
from balr.errors import CalibrationError
from balr.evaluation.bounds import ElubBounds
from balr.evaluation.calibrators import BiGaussMap

KINDS = {"affine": "logistic", "bigauss": "bigauss"}
OWN_KEYS = ("kind", "method", "a", "b", "sigma2", "knots", "bounds", "data", "scorer")
_FIX = "pass a calibration.json written by `balr score calibrate`"


def write_calibration(fields: dict[str, Any], path: Path, extra: dict[str, Any]) -> None:
    """Write a calibration's `fields` and `extra` keys to `path` atomically.

    `fields` are what :func:`read_calibration` returns: method, a, b, bigauss, bounds, data,
    scorer (see the module docstring for the file).
    """
    clash = sorted(set(OWN_KEYS) & extra.keys())
    if clash:
        raise ValueError(f"extra keys clash with the calibration's own: {clash}")
    method = fields["method"]
    record: dict[str, Any] = {
        "kind": next(kind for kind, m in KINDS.items() if m == method),
        "method": method,
        "a": float(fields["a"]),
        "b": float(fields["b"]),
    }
    bigauss: BiGaussMap | None = fields["bigauss"]
    if bigauss is not None:
        record["sigma2"] = float(bigauss.sigma2)
        record["knots"] = {"q": bigauss.knots.tolist(), "ecdf": bigauss.ecdf.tolist()}
    bounds: ElubBounds | None = fields["bounds"]
    record["bounds"] = None if bounds is None else bounds.to_dict()
    record["data"] = _plain(fields["data"])
    record["scorer"] = _plain(fields["scorer"])
    record |= {key: _plain(value) for key, value in extra.items()}
    knots = record.pop("knots", None)
    text = json.dumps(record, indent=2)
    if knots is not None:  # one line per array: tens of thousands of numbers otherwise
        lines = ",\n".join(f'    "{k}": {json.dumps(v)}' for k, v in knots.items())
        text = text[:-2] + f',\n  "knots": {{\n{lines}\n  }}\n}}'
    with atomic_path(path) as tmp:
        tmp.write_text(text + "\n", encoding="utf-8")


def read_calibration(path: Path) -> dict[str, Any]:
    """The fields of a :class:`Calibration` read from `path` (CalibrationError otherwise)."""
    record = _read_json(path)
    if not isinstance(record, dict) or record.get("kind") not in KINDS:
        raise CalibrationError(f"{path}: not a balr calibration file; {_FIX}")
    a, b = record.get("a"), record.get("b")
    if not (_is_finite_number(a) and _is_finite_number(b)):
        raise CalibrationError(f"{path}: 'a' and 'b' must be finite numbers; {_FIX}")
    if a <= 0:
        raise CalibrationError(
            f"{path}: slope a = {a:g} <= 0 would invert every LR (it was fitted on reversed"
            " dev scores); fit a calibration again on dev scores where same-speaker"
            " comparisons score higher (balr score calibrate)"
        )
    method = KINDS[record["kind"]]
    if record.get("method", method) != method:
        raise CalibrationError(f"{path}: kind {record['kind']!r} with method"
                               f" {record.get('method')!r}; {_FIX}")  # fmt: skip
    try:
        bounds = None if record.get("bounds") is None else ElubBounds.from_dict(record["bounds"])
    except ValueError as error:
        raise CalibrationError(
            f"{path}: {error}; fit the calibration again with balr score calibrate"
        ) from None
    data, scorer = record.get("data") or {}, record.get("scorer")
    if not isinstance(data, dict) or not (scorer is None or _is_scorer(scorer)):
        raise CalibrationError(f"{path}: 'data' must be an object and 'scorer' null or"
                               f" {{'sha256': ..., 'path': ...}}; {_FIX}")  # fmt: skip
    bigauss = _bigauss(record, path) if method == "bigauss" else None
    return {"a": float(a), "b": float(b), "method": method, "bigauss": bigauss,
            "bounds": bounds, "data": data, "scorer": scorer}  # fmt: skip


def _read_json(path: Path) -> Any:
    try:
        data, _ = read_limited(path, CALIBRATION_LIMIT, CalibrationError, "calibration.json")
        return json.loads(data.decode("utf-8"))
    # RecursionError: JSON nested thousands deep (json decodes arrays recursively).
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as err:
        reason = getattr(err, "strerror", None) or type(err).__name__
        raise CalibrationError(f"{path}: cannot read calibration ({reason}); {_FIX}") from err


def _bigauss(record: dict[str, Any], path: Path) -> BiGaussMap:
    """The bi-Gaussianized stage: sigma2 > 0, knots rising, ECDF rising inside (0, 1)."""
    sigma2, knots = record.get("sigma2"), record.get("knots")
    try:
        q = np.asarray(knots["q"], dtype=np.float64)  # type: ignore[index]
        ecdf = np.asarray(knots["ecdf"], dtype=np.float64)  # type: ignore[index]
    except (TypeError, KeyError, ValueError):
        q = ecdf = np.empty(0)
    valid = (
        _is_finite_number(sigma2)
        and sigma2 > 0
        and q.ndim == 1
        and q.size > 0
        and q.shape == ecdf.shape
        and bool(np.isfinite(q).all() and (np.diff(q) > 0).all())
        and bool((np.diff(ecdf) > 0).all() and ecdf[0] > 0 and ecdf[-1] < 1)
    )
    if not valid:
        raise CalibrationError(
            f"{path}: a bigauss calibration needs sigma2 > 0 and knots q, ecdf (rising, ecdf"
            f" inside 0..1); {_FIX}"
        )
    return BiGaussMap(float(sigma2), q, ecdf)  # type: ignore[arg-type]


def _is_scorer(value: Any) -> bool:
    return isinstance(value, dict) and isinstance(value.get("sha256"), str)


def _is_finite_number(value: Any) -> TypeGuard[float]:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _plain(value: Any) -> Any:
    """NumPy scalars and arrays (also inside dicts) as JSON-ready Python values."""
    if isinstance(value, np.generic | np.ndarray):
        return value.tolist()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, Path):
        return str(value)
    return value
