"""The Celery runner: job ids travel through Redis or RabbitMQ to worker processes on any machine.

Messages carry only (channel id, claim token); the database lease decides who
runs. Tasks are acknowledged late and re-queued if their worker dies, and a
re-delivered message that finds its claim already taken does nothing.
"""
from __future__ import annotations

from celery import Celery
from django.conf import settings

app = Celery("dockline")
app.conf.update(
    broker_url=settings.BROKER_URL,
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    task_ignore_result=True,
    broker_connection_retry_on_startup=True,
    worker_hijack_root_logger=False,
    # Redis re-delivers an unacknowledged message after this; the lease makes the repeat harmless.
    broker_transport_options={"visibility_timeout": max(60, int(settings.LEASE_SECONDS * 2))},
)


@app.task(name="dockline.run_channel")
def run_channel_task(channel_id: int, claim_token: str) -> None:
    from django.db import close_old_connections

    from dockline.sync.jobs import run_channel

    close_old_connections()
    run_channel(channel_id, claim_token)


class CeleryRunner:
    """Hands claimed jobs to the broker; how many to claim a tick is bounded by `batch`."""

    def __init__(self, batch: int = 500):
        self.batch = batch

    @property
    def free_slots(self) -> int:
        return self.batch

    def submit(self, channel_id: int, claim_token: str) -> None:
        run_channel_task.apply_async((channel_id, claim_token))
