"""The Warehouse model moved from connections to warehouses; its tables stay as they are (state only)."""

import django.db.models.deletion
import django.utils.timezone
import dockline.core.crypto
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0002_loginfailure_setuptoken'),
        ('warehouses', '0003_exchange_content_compressed'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name='Warehouse',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('name', models.CharField(max_length=200)),
                        ('transport', models.CharField(default='ftp', max_length=20)),
                        ('credentials', dockline.core.crypto.EncryptedJSONField(default=dict)),
                        ('settings', models.JSONField(blank=True, default=dict)),
                        ('file_format', models.CharField(default='dsfx', max_length=20)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('organization', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='warehouses', to='accounts.organization')),
                    ],
                    options={
                        'db_table': 'connections_warehouse',
                    },
                ),
                migrations.AlterField(
                    model_name='controlnumber',
                    name='warehouse',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='control_numbers', to='warehouses.warehouse'),
                ),
                migrations.AlterField(
                    model_name='exchangerecord',
                    name='warehouse',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='exchanges', to='warehouses.warehouse'),
                ),
                migrations.CreateModel(
                    name='WarehouseActivity',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('actor', models.CharField(default='system', max_length=150)),
                        ('level', models.CharField(default='info', max_length=8)),
                        ('message', models.TextField()),
                        ('user', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('warehouse', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='activity', to='warehouses.warehouse')),
                    ],
                    options={
                        'db_table': 'connections_warehouseactivity',
                        'ordering': ['-at', '-id'],
                    },
                ),
            ],
        ),
    ]
