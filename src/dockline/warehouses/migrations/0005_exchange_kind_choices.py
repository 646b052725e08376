"""Exchange record kinds become choices (the stored values stay as they were: no data changes)."""
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("warehouses", "0004_warehouse_moved_here"),
    ]

    operations = [
        migrations.AlterField(
            model_name="exchangerecord",
            name="kind",
            field=models.CharField(choices=[("orders", "Orders"), ("shipments", "Shipments"),
                                            ("inventory", "Inventory"), ("acks", "Acknowledgments (997)")],
                                   max_length=20),
        ),
    ]
