"""The Warehouse model moved from connections to warehouses; its tables stay as they are (state only)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('inventory', '0002_applied_snapshot'),
        ('warehouses', '0004_warehouse_moved_here'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.AlterField(
                    model_name='appliedsnapshot',
                    name='warehouse',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='applied_snapshots', to='warehouses.warehouse'),
                ),
                migrations.AlterField(
                    model_name='stocklevel',
                    name='warehouse',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='stock', to='warehouses.warehouse'),
                ),
            ],
        ),
    ]
