"""The Warehouse model moved from connections to warehouses; its tables stay as they are (state only)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('connections', '0003_warehouse_activity'),
        ('inventory', '0003_warehouse_moved'),
        ('orders', '0003_warehouse_moved'),
        ('shipments', '0002_warehouse_moved'),
        ('warehouses', '0004_warehouse_moved_here'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.AlterField(
                    model_name='connection',
                    name='warehouse',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='connections', to='warehouses.warehouse'),
                ),
                migrations.DeleteModel(
                    name='WarehouseActivity',
                ),
                migrations.DeleteModel(
                    name='Warehouse',
                ),
            ],
        ),
    ]
