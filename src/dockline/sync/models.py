"""A record of every channel run."""
from __future__ import annotations

from django.db import models
from django.utils import timezone

from dockline.connections.models import Channel, Side


class SyncRun(models.Model):
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="runs")
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    ok = models.BooleanField(null=True)  # None while running
    counts = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    # When it failed on a connector's or transport's error: which side raised it, and its ErrorKind.
    side = models.CharField(max_length=16, choices=Side.choices, blank=True)
    kind = models.CharField(max_length=16, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["channel", "-started_at"], name="run_channel_started")]


class SchedulerBeat(models.Model):
    """The last tick of each scheduler process, so /healthz can tell a stopped scheduler from an idle one."""

    owner = models.CharField(max_length=64, unique=True)
    beat_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.owner} at {self.beat_at:%H:%M:%S}"


class PeriodicJob(models.Model):
    """A job of no organization (alert evaluation, webhook deliveries), run by whichever scheduler claims it."""

    name = models.CharField(max_length=64, unique=True)
    next_run_at = models.DateTimeField(default=timezone.now)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    last_ok_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    def __str__(self) -> str:
        return self.name
