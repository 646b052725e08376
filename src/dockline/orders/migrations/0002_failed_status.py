"""Exhausted retries get their own status, Failed; Canceled is kept for orders the merchant or customer cancels.

Until now every Canceled order was one whose retries ran out (nothing else set it), so all move to Failed.
"""

from django.db import migrations, models


def canceled_to_failed(apps, schema_editor):
    apps.get_model("orders", "Order").objects.filter(status="canceled").update(status="failed")


def failed_to_canceled(apps, schema_editor):
    apps.get_model("orders", "Order").objects.filter(status="failed").update(status="canceled")


class Migration(migrations.Migration):

    dependencies = [
        ('orders', '0001_initial'),
    ]

    operations = [
        migrations.AlterField(
            model_name='order',
            name='status',
            field=models.CharField(choices=[('new', 'New'), ('queued', 'Queued'), ('open', 'Open'), ('partially_shipped', 'Partially Shipped'), ('shipped', 'Shipped'), ('closed', 'Closed'), ('delayed', 'Delayed'), ('error', 'Error'), ('failed', 'Failed'), ('canceled', 'Canceled'), ('skipped', 'Skipped'), ('archived', 'Archived')], db_index=True, default='new', max_length=20),
        ),
        migrations.RunPython(canceled_to_failed, failed_to_canceled),
    ]
