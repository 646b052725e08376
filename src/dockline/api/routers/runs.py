"""Runs: each channel run of the key's connections, newest first."""
from __future__ import annotations

from django.shortcuts import get_object_or_404
from ninja import Router

from dockline.api import scope
from dockline.api.schemas import RunOut

router = Router(tags=["runs"])


@router.get("/runs", response=list[RunOut])
def list_runs(request, connection: int | None = None, channel: str | None = None, limit: int = 50):
    runs = scope.runs(request.auth)
    if connection:
        runs = runs.filter(channel__connection_id=connection)
    if channel:
        runs = runs.filter(channel__kind=channel)
    return runs[: max(1, min(limit, 200))]


@router.get("/runs/{run_id}", response=RunOut)
def get_run(request, run_id: int):
    return get_object_or_404(scope.runs(request.auth), pk=run_id)
