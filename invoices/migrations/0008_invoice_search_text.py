"""The search column: added, filled for the invoices there are (in batches, and again safely), and on
PostgreSQL read through a trigram index so that a word anywhere in it is found without a scan."""

from django.db import migrations, models

from invoices.search import search_text

BATCH = 2000
TRIGRAM_INDEX = "invoice_search_trgm"


def fill(apps, schema_editor):
    Invoice = apps.get_model("invoices", "Invoice")
    fields = ["id", "number", "uuid", "direction", "customer_identifier", "customer_name", "supplier_identifier", "supplier_name"]
    last = 0
    while batch := list(Invoice.objects.filter(id__gt=last).order_by("id").only(*fields)[:BATCH]):
        for invoice in batch:
            party = "customer" if invoice.direction == "out" else "supplier"
            invoice.search_text = search_text(number=invoice.number, uuid=invoice.uuid, identifier=getattr(invoice, f"{party}_identifier"),
                                              name=getattr(invoice, f"{party}_name"))
        Invoice.objects.bulk_update(batch, ["search_text"])
        last = batch[-1].id


def trigram_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {TRIGRAM_INDEX} ON invoices_invoice USING gin (search_text gin_trgm_ops)")


def trigram_index_drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {TRIGRAM_INDEX}")


class Migration(migrations.Migration):

    dependencies = [
        ("invoices", "0007_invoice_document"),
    ]

    operations = [
        migrations.AddField(
            model_name="invoice",
            name="search_text",
            field=models.TextField(
                blank=True, editable=False, verbose_name="search text",
                help_text="The number, ETTN and other party, folded as Turkish folds them (invoices.search).",
            ),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.RunPython(trigram_index, trigram_index_drop),
    ]
