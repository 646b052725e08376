"""Fault trials: seeded runs of a small Dockline world under random faults, judged by the sandboxes' records.

`trial` runs the jobs in this process on SQLite (`run_trial`), `celery` on Celery workers with PostgreSQL
and Redis restarts (`run_celery_trial`); `faults` arms the faults and `verdict` judges. Used by
bench/chaos.py and tests/chaos.
"""
from dockline.sandbox.chaos.celery import CELERY_KINDS, IN_PROCESS_ONLY, PROCESS_KINDS, Fleet, run_celery_trial
from dockline.sandbox.chaos.faults import DEFAULT_KINDS, FAULT_KINDS, Killed
from dockline.sandbox.chaos.trial import Trial, run_trial
from dockline.sandbox.chaos.verdict import Verdict

__all__ = ["CELERY_KINDS", "DEFAULT_KINDS", "FAULT_KINDS", "IN_PROCESS_ONLY", "PROCESS_KINDS", "Fleet", "Killed",
           "Trial", "Verdict", "run_celery_trial", "run_trial"]
