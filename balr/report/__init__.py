"""The case report of one comparison: LR, verbal equivalent, the attributes behind it.

Plain Python (no Hydra): build a :class:`Case` with :func:`case_from_scorer` (or from
arrays with :func:`attribute_rows`) and write report.html, report.json and
contributions.png with :func:`write_report`.
"""

from balr.report.build import (
    REPORT_FILES,
    Side,
    calibration_info,
    case_from_scorer,
    scorer_info,
    write_report,
)
from balr.report.case import (
    AttributeRow,
    CalibrationInfo,
    Case,
    Placement,
    Recording,
    ScorerInfo,
)
from balr.report.rows import attribute_rows
from balr.report.verbal import SCALE_NAME, Verbal, verbal_equivalent

__all__ = [
    "REPORT_FILES",
    "SCALE_NAME",
    "AttributeRow",
    "CalibrationInfo",
    "Case",
    "Placement",
    "Recording",
    "ScorerInfo",
    "Side",
    "Verbal",
    "attribute_rows",
    "calibration_info",
    "case_from_scorer",
    "scorer_info",
    "verbal_equivalent",
    "write_report",
]
