"""Activity entries record who acted and what happened as data.

Existing entries become Dockline's (actor "system"), with the event their sentence names (else "note").
An entry a person's action wrote ("Reset to New by alice.") is recorded as that person's, linked to
the user when the name still resolves.
"""
import re

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

# (how the sentence begins, its event), as the code before this migration wrote them.
EVENTS = [
    ("Imported from ", "imported"),
    ("Every item and the shipping method are mapped", "queued"),
    ("Sent to warehouse ", "sent"),
    ("The warehouse rejected file ", "rejected"),
    ("Waiting: warehouse ", "waiting"),
    ("Warehouse shipped ", "shipped"),
    ("Every item has shipped.", "shipped"),
    ("Some items have shipped", "shipped"),
    ("Tracking ", "posted"),
    ("Every shipment's tracking is in the store", "closed"),
    ("Stopped: ", "error"),
    ("Could not send the order to the warehouse after ", "failed"),
    ("Could not send the order to the warehouse (", "delayed"),
    ("Could not update the order's status in the store", "warning"),
    ("The warehouse reported more than was ordered", "warning"),
    ("Could not post tracking to the store", "warning"),
    ("Reprocess asked by ", "reprocessed"),
    ("Reset to New by ", "reset"),
    ("Archived by ", "archived"),
]
BY_PERSON = re.compile(r"^(?:Reprocess asked|Reset to New|Archived) by (?P<name>.+)\.$")


def fill_events_and_actors(apps, schema_editor):
    Activity = apps.get_model("orders", "Activity")
    User = apps.get_model(*settings.AUTH_USER_MODEL.split("."))
    for start, event in EVENTS:
        Activity.objects.filter(event="note", message__startswith=start).update(event=event)
    Activity.objects.filter(event="warning", message__startswith="Could not post tracking", level="error") \
        .update(event="error")
    users = {}
    for entry in Activity.objects.filter(event__in=["reprocessed", "reset", "archived"]).iterator():
        match = BY_PERSON.match(entry.message)
        if not match:
            continue
        name = match["name"][:150]
        if name not in users:
            users[name] = User.objects.filter(username=name).first()  # the stock user model
        entry.actor_kind, entry.actor, entry.user = "user", name, users[name]
        entry.save(update_fields=["actor_kind", "actor", "user"])


class Migration(migrations.Migration):

    dependencies = [
        ("orders", "0003_warehouse_moved"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="activity",
            name="event",
            field=models.CharField(choices=[
                ("imported", "Imported from the store"), ("queued", "Mapped and queued"),
                ("sent", "Sent to the warehouse"), ("rejected", "Rejected by the warehouse"),
                ("waiting", "Waiting on the warehouse's setup"), ("shipped", "Shipped"),
                ("posted", "Tracking posted to the store"), ("closed", "Closed"), ("error", "Stopped"),
                ("delayed", "Delayed"), ("failed", "Failed"), ("canceled", "Canceled"), ("skipped", "Skipped"),
                ("reprocessed", "Reprocessed"), ("reset", "Reset"), ("archived", "Archived"),
                ("warning", "Warning"), ("note", "Note"),
            ], default="note", max_length=16),
        ),
        migrations.AddField(
            model_name="activity",
            name="actor_kind",
            field=models.CharField(choices=[("user", "A person"), ("api_key", "An API key"), ("rule", "A rule"),
                                            ("system", "Dockline")], default="system", max_length=10),
        ),
        migrations.AddField(
            model_name="activity",
            name="user",
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL,
                                    related_name="+", to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name="activity",
            name="actor",
            field=models.CharField(default="Dockline", max_length=150),
        ),
        migrations.RunPython(fill_events_and_actors, migrations.RunPython.noop),
    ]
