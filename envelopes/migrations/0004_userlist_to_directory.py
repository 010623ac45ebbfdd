"""GİB's registered-user list now belongs to the directory app; its tables stay where they are."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('envelopes', '0003_envelope_state_changes'),
        ('directory', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.DeleteModel(name='RegisteredAlias'),
                migrations.DeleteModel(name='RegisteredUser'),
                migrations.DeleteModel(name='UserListImport'),
            ],
        ),
    ]
