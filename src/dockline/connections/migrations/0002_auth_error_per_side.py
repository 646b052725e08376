"""Store-side and warehouse-side re-authorization are kept apart: one field each.

The old single field was set mostly by store calls; it becomes the store's.
"""

from django.db import migrations, models
from django.db.models import F


def copy_to_store(apps, schema_editor):
    apps.get_model("connections", "Connection").objects.update(store_auth_error=F("auth_error"))


def copy_back(apps, schema_editor):
    apps.get_model("connections", "Connection").objects.update(auth_error=F("store_auth_error"))


class Migration(migrations.Migration):

    dependencies = [
        ('connections', '0001_initial'),
    ]

    operations = [
        migrations.AddField(
            model_name='connection',
            name='store_auth_error',
            field=models.TextField(blank=True),
        ),
        migrations.AddField(
            model_name='connection',
            name='warehouse_auth_error',
            field=models.TextField(blank=True),
        ),
        migrations.RunPython(copy_to_store, copy_back),
        migrations.RemoveField(
            model_name='connection',
            name='auth_error',
        ),
    ]
