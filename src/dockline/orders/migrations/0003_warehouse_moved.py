"""The Warehouse model moved from connections to warehouses; its tables stay as they are (state only)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('orders', '0002_failed_status'),
        ('warehouses', '0004_warehouse_moved_here'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.AlterField(
                    model_name='dispatch',
                    name='warehouse',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='dispatches', to='warehouses.warehouse'),
                ),
            ],
        ),
    ]
