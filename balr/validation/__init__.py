"""The validation report of a likelihood-ratio method (`balr validate`).

Per condition (a score file, or a value of its `condition` column): Cllr, Cllr_min,
Cllr_cal, devPAV, EER, minDCF, LR range, misleading evidence and ELUB bounds; the guideline
table of Meuwly et al. (2017) with criteria and pass/fail; speaker-bootstrap intervals; and
the DET, Tippett, ECE and PAV plots, written as validation.json and one validation.html.
"""

from balr.validation.inputs import Condition, read_all
from balr.validation.report import Report
from balr.validation.runner import validate

__all__ = ["Condition", "Report", "read_all", "validate"]
