"""GİB's registered-user list, moved here from envelopes: the tables stay as they are (their names
too), only Django's record of which app owns them changes."""

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('envelopes', '0003_envelope_state_changes'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name='UserListImport',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('kind', models.CharField(choices=[('GB', 'Sender unit (GB)'), ('PK', 'Postbox (PK)')], max_length=2, verbose_name='list')),
                        ('source', models.CharField(max_length=500, verbose_name='source')),
                        ('started_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='started at')),
                        ('finished_at', models.DateTimeField(blank=True, null=True, verbose_name='finished at')),
                        ('status', models.CharField(choices=[('running', 'running'), ('succeeded', 'succeeded'), ('failed', 'failed')], default='running', max_length=10, verbose_name='status')),
                        ('users', models.PositiveIntegerField(default=0, verbose_name='users')),
                        ('aliases', models.PositiveIntegerField(default=0, verbose_name='aliases')),
                        ('skipped', models.PositiveIntegerField(default=0, help_text='Users without an identifier.', verbose_name='skipped')),
                        ('error', models.TextField(blank=True, verbose_name='error')),
                    ],
                    options={
                        'db_table': 'envelopes_userlistimport',
                        'verbose_name': 'user-list import',
                        'verbose_name_plural': 'user-list imports',
                        'ordering': ['-started_at'],
                    },
                ),
                migrations.CreateModel(
                    name='RegisteredUser',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('identifier', models.CharField(max_length=11, verbose_name='VKN/TCKN')),
                        ('title', models.TextField(blank=True, verbose_name='title')),
                        ('type', models.CharField(blank=True, choices=[('OZEL', 'private'), ('KAMU', 'public body')], max_length=20, verbose_name='type')),
                        ('account_type', models.CharField(blank=True, choices=[('GIBPORTAL', 'GİB portal'), ('ENTEGRASYON', 'direct integration'), ('OZELENTEGRASYON', 'private integrator')], max_length=20, verbose_name='account type')),
                        ('first_created_at', models.DateTimeField(verbose_name='first created at')),
                    ],
                    options={
                        'db_table': 'envelopes_registereduser',
                        'verbose_name': 'registered user',
                        'verbose_name_plural': 'registered users',
                        'constraints': [models.UniqueConstraint(fields=('identifier',), name='reguser_identifier_unique')],
                    },
                ),
                migrations.CreateModel(
                    name='RegisteredAlias',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('document_type', models.CharField(max_length=20, verbose_name='document type')),
                        ('kind', models.CharField(choices=[('GB', 'Sender unit (GB)'), ('PK', 'Postbox (PK)')], max_length=2, verbose_name='kind')),
                        ('name', models.CharField(max_length=255, verbose_name='alias')),
                        ('created_at', models.DateTimeField(verbose_name='created at')),
                        ('deleted_at', models.DateTimeField(blank=True, null=True, verbose_name='deleted at')),
                        ('user', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='aliases', to='directory.registereduser', verbose_name='user')),
                    ],
                    options={
                        'db_table': 'envelopes_registeredalias',
                        'verbose_name': 'registered alias',
                        'verbose_name_plural': 'registered aliases',
                        'indexes': [models.Index(fields=['user', 'kind', 'document_type'], name='regalias_user_kind_doc')],
                    },
                ),
            ],
        ),
    ]
