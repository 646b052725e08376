"""A cancellation keeps one file per warehouse asked (a routed order is asked of each warehouse holding a part)."""

from django.db import migrations, models


def copy_files(apps, schema_editor):
    Cancellation = apps.get_model("orders", "Cancellation")
    for cancellation in Cancellation.objects.exclude(exchange=None):
        cancellation.files.add(cancellation.exchange_id)
        warehouse_id = cancellation.exchange.warehouse_id
        cancellation.answers = {f"{warehouse_id}:{k}": v for k, v in cancellation.answers.items()}
        cancellation.save(update_fields=["answers"])


class Migration(migrations.Migration):

    dependencies = [
        ('orders', '0009_statuses_and_events_of_wave3'),
        ('warehouses', '0006_cancellations'),
    ]

    operations = [
        migrations.AddField(
            model_name="cancellation",
            name="files",
            field=models.ManyToManyField(blank=True, related_name="+", to="warehouses.exchangerecord"),
        ),
        migrations.RunPython(copy_files, migrations.RunPython.noop),
        migrations.RemoveField(model_name="cancellation", name="exchange"),
    ]
