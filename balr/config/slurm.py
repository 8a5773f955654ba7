"""The `hydra/launcher=slurm` preset: submitit's Slurm launcher with documented defaults."""

from __future__ import annotations

from typing import Any


def slurm_launcher_config() -> Any:
    """Return submitit_slurm's config with balr's defaults.

    Users override any field, e.g. ``hydra.launcher.partition=gpu
    hydra.launcher.timeout_min=1440 hydra.launcher.gpus_per_node=4``.
    """
    from hydra_plugins.hydra_submitit_launcher.config import SlurmQueueConf

    return SlurmQueueConf(
        # Wall-clock limit of each job, in minutes; the job is requeued near it.
        timeout_min=4 * 60,
        # One task per GPU: tasks_per_node > 1 gives a DDP job (ranks from Slurm's environment).
        tasks_per_node=1,
        # CPUs per task: used for vector-file loading threads and CPU training.
        cpus_per_task=2,
        # Memory per node, in GB.
        mem_gb=16,
        # GPUs per node (None: request none; the local test cluster has no GRES).
        gpus_per_node=None,
        # How often a job that hit its time limit or was preempted is requeued.
        max_num_timeout=3,
        # Seconds before the time limit that Slurm sends the warning (USR2): balr saves last.pt
        # mid-epoch and submitit requeues the job. Slurm checks limits every 30 s, so the
        # warning may come up to 30 s earlier than asked.
        signal_delay_s=60,
        # Where submitit keeps its job scripts and logs: inside the sweep directory.
        submitit_folder="${hydra.sweep.dir}/.submitit/%j",
    )
