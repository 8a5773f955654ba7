"""Training curves beyond metrics.csv: TensorBoard events and curves.png, when installed."""

from __future__ import annotations

import importlib.util
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

log = logging.getLogger("balr.train")


def _installed(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


class TensorBoardSink:
    """Writes each metrics row as scalars `<split>/<name>`; a no-op without tensorboard."""

    def __init__(self, run_dir: Path | None) -> None:
        self._writer: Any = None
        if run_dir is not None and _installed("tensorboard"):
            from torch.utils.tensorboard import SummaryWriter

            self._writer = SummaryWriter(log_dir=str(run_dir))

    def add(self, epoch: int, split: str, metrics: Mapping[str, float]) -> None:
        if self._writer is None:
            return
        for name, value in metrics.items():
            self._writer.add_scalar(f"{split}/{name}", float(value), epoch)
        self._writer.flush()

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()


def plot_curves(
    rows: list[dict[str, str]],
    loss_names: list[str],
    path: Path,
    reference_eer: float | None = None,
    best_epoch: int | None = None,
) -> bool:
    """Draw losses (train and val) and val EER per epoch into `path`; False without rows.

    The EER panel shows the raw embeddings' EER (`reference_eer`) as a dashed line, the cost
    of binarisation at a glance, and rings the `best_epoch`.
    """
    if not rows:
        return False
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    from balr.training.checkpoint import atomic_write_bytes

    # With one loss its panel would repeat the total.
    names = ["loss", *loss_names] if len(loss_names) > 1 else ["loss"]
    fig, axes = plt.subplots(1, len(names) + 1, figsize=(4 * (len(names) + 1), 3.4))
    for ax, name in zip(axes, names, strict=False):
        for split, style in (("train", "-"), ("val", "o-")):
            xs, ys = _series(rows, split, name)
            if xs:
                ax.plot(xs, ys, style, label=split, markersize=3)
        if name != "loss":
            ax.set_title(f"{name} (unweighted)")
        else:
            ax.set_title("total loss" if len(names) > 1 else f"loss ({', '.join(loss_names)})")
        ax.set_xlabel("epoch")
        ax.legend()
    _plot_eer(axes[-1], rows, reference_eer, best_epoch)
    for ax in axes:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    fig.tight_layout()
    atomic_write_bytes(path, lambda handle: fig.savefig(handle, format="png", dpi=90))
    plt.close(fig)
    return True


def _plot_eer(
    ax: Any, rows: list[dict[str, str]], reference_eer: float | None, best_epoch: int | None
) -> None:
    xs, ys = _series(rows, "val", "eer")
    ax.plot(xs, ys, "o-", color="tab:red", markersize=3, label="binary attributes")
    if reference_eer is not None:
        ax.axhline(reference_eer, color="gray", linestyle="--", label="raw embeddings")
    if best_epoch in xs:
        best = ys[xs.index(best_epoch)]
        ax.plot(
            [best_epoch],
            [best],
            "o",
            markersize=9,
            fillstyle="none",
            color="black",
            label=f"best (epoch {best_epoch})",
        )
    ax.set_title("val EER (%)")
    ax.set_xlabel("epoch")
    ax.legend(fontsize="small")


def _series(rows: list[dict[str, str]], split: str, name: str) -> tuple[list[int], list[float]]:
    xs, ys = [], []
    for row in rows:
        if row.get("split") == split and row.get(name) not in (None, ""):
            xs.append(int(row["epoch"]))
            ys.append(float(row[name]))
    return xs, ys
