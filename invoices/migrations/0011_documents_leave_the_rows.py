"""The invoices' documents leave their rows for the archive: each invoice's XML (as built once valid,
as sealed once sealed, as received for an incoming one) and its KABUL/RED, hashed before and after,
recorded in the tenant's chain, then cleared from the row (``archive.moving``). Drafts not yet valid
keep their XML in the row: they are not documents yet. Safe to run again."""

from django.db import migrations, models

from archive.moving import in_batches, move_out

BATCH = 500
NOT_YET = {"issued", "invalid"}  # drafts: not documents yet
BUILT = {"valid", "held"}


def invoice_kind(invoice) -> str | None:
    if invoice.direction == "in":
        return "invoice_received"
    if invoice.status in NOT_YET:
        return None
    return "invoice_built" if invoice.status in BUILT else "invoice_sealed"


def move(apps, schema_editor):
    Invoice, Document = apps.get_model("invoices", "Invoice"), apps.get_model("archive", "Document")
    for invoice in in_batches(Invoice.objects.select_related("tenant", "document", "answer_document"), BATCH):
        kind = invoice_kind(invoice)
        if kind:
            move_out(Document=Document, row=invoice, field="xml", document_field="document", tenant=invoice.tenant, kind=kind,
                     subject=("invoice", invoice.id), written_at=invoice.created_at)
        move_out(Document=Document, row=invoice, field="answer_xml", document_field="answer_document", tenant=invoice.tenant,
                 kind="answer_sent" if invoice.direction == "in" else "answer_received", subject=("invoice", invoice.id),
                 written_at=invoice.answered_at or invoice.created_at)


class Migration(migrations.Migration):

    dependencies = [
        ("archive", "0002_documents"),
        ("invoices", "0010_archived_documents"),
    ]

    operations = [
        migrations.AlterField(
            model_name="invoice",
            name="xml",
            field=models.BinaryField(blank=True, null=True, verbose_name="UBL-TR XML",
                                     help_text="Only a draft's, until it is valid: then the archive holds it (document)."),
        ),
        migrations.RunPython(move, migrations.RunPython.noop),
    ]
