"""The envelopes' zips leave their rows for the archive: each one sent or received, hashed before and
after, recorded in the tenant's chain, then cleared from the row (``archive.moving``). An envelope
packed and not sent yet keeps its zip until it goes. Safe to run again."""

from django.db import migrations, models

from archive.moving import in_batches, move_out

BATCH = 200


def envelope_kind(envelope) -> str | None:
    if envelope.type == "SYSTEMENVELOPE":
        return "system_response"
    if envelope.direction == "in":
        return "envelope_received"
    return None if envelope.state == "packed" else "envelope_sent"


def move(apps, schema_editor):
    Envelope, Document = apps.get_model("envelopes", "Envelope"), apps.get_model("archive", "Document")
    for envelope in in_batches(Envelope.objects.select_related("tenant", "document"), BATCH):
        kind = envelope_kind(envelope)
        if kind:
            move_out(Document=Document, row=envelope, field="data", document_field="document", tenant=envelope.tenant, kind=kind,
                     subject=("envelope", envelope.id), media_type="application/zip", written_at=envelope.created_at)


class Migration(migrations.Migration):

    dependencies = [
        ("archive", "0002_documents"),
        ("envelopes", "0005_archived_documents"),
    ]

    operations = [
        migrations.AlterField(
            model_name="envelope",
            name="data",
            field=models.BinaryField(blank=True, null=True, verbose_name="zip",
                                     help_text="Only until it is sent: then the archive holds it (document)."),
        ),
        migrations.RunPython(move, migrations.RunPython.noop),
    ]
