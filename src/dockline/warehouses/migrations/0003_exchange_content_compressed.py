"""Exchange contents are kept zlib-compressed; existing rows are compressed in place."""
import zlib

from django.db import migrations, models


def compress_existing(apps, schema_editor):
    ExchangeRecord = apps.get_model("warehouses", "ExchangeRecord")
    ids = ExchangeRecord.objects.filter(compressed=False).values_list("id", flat=True)
    for pk in ids.iterator(chunk_size=500):
        raw = ExchangeRecord.objects.filter(pk=pk).values_list("content", flat=True).first()
        if raw:
            ExchangeRecord.objects.filter(pk=pk).update(content=zlib.compress(bytes(raw), 6), compressed=True)


def decompress_all(apps, schema_editor):
    ExchangeRecord = apps.get_model("warehouses", "ExchangeRecord")
    for pk in ExchangeRecord.objects.filter(compressed=True).values_list("id", flat=True).iterator(chunk_size=500):
        raw = ExchangeRecord.objects.filter(pk=pk).values_list("content", flat=True).first()
        ExchangeRecord.objects.filter(pk=pk).update(content=zlib.decompress(bytes(raw)), compressed=False)


class Migration(migrations.Migration):

    dependencies = [
        ("warehouses", "0002_control_numbers_acks"),
    ]

    operations = [
        migrations.AddField(
            model_name="exchangerecord",
            name="compressed",
            field=models.BooleanField(default=False),
        ),
        migrations.RunPython(compress_existing, decompress_all),
    ]
