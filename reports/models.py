"""The figures reports read: every invoice's share summed per tenant and day, and again per month
(``monthly`` rows, dated the month's first day), kept as the invoices are saved and change state
(``reports.figures``). A report over months reads the month rows of the whole months in its range
and the day rows of the days at its edges. Amounts are whole cents (kuruş), exact on every
database; a row whose count fell to 0 is a share that moved elsewhere. A figure is the sum of its
rows in every ``slot``: each writer adds to its own (``reports.figures``)."""

from django.db import models

from tenants.models import Tenant


class DayFigure(models.Model):
    """Invoices of one day, by direction, currency, status, GİB code, profile and type."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    monthly = models.BooleanField(default=False, help_text="a month's sum, dated its first day")
    day = models.DateField()
    direction = models.CharField(max_length=3)
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=20)
    gib_code = models.PositiveSmallIntegerField(default=0, help_text="0: none yet")
    profile = models.CharField(max_length=30)
    type_code = models.CharField(max_length=30)
    slot = models.PositiveSmallIntegerField(db_default=0, help_text="the writer's: a figure is the sum over slots")
    count = models.IntegerField(default=0)
    payable_cents = models.BigIntegerField(default=0)
    tax_cents = models.BigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(
            fields=["tenant", "monthly", "day", "direction", "currency", "status", "gib_code", "profile", "type_code", "slot"], name="day_figure_key")]


class DayTax(models.Model):
    """Tax subtotals of one day's invoices, by direction, currency, tax code and rate;
    ``withholding`` rows are tevkifat."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    monthly = models.BooleanField(default=False, help_text="a month's sum, dated its first day")
    day = models.DateField()
    direction = models.CharField(max_length=3)
    currency = models.CharField(max_length=3)
    counted = models.BooleanField(default=True, help_text="false: invalid invoices, which count only by status")
    withholding = models.BooleanField(default=False)
    code = models.CharField(max_length=4)
    percent = models.DecimalField(max_digits=5, decimal_places=2)
    slot = models.PositiveSmallIntegerField(db_default=0, help_text="the writer's: a figure is the sum over slots")
    count = models.IntegerField(default=0)
    taxable_cents = models.BigIntegerField(default=0)
    amount_cents = models.BigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(
            fields=["tenant", "monthly", "day", "direction", "currency", "counted", "withholding", "code", "percent", "slot"], name="day_tax_key")]


class DayParty(models.Model):
    """One day's invoices with one customer (outgoing) or supplier (incoming)."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    monthly = models.BooleanField(default=False, help_text="a month's sum, dated its first day")
    day = models.DateField()
    direction = models.CharField(max_length=3)
    currency = models.CharField(max_length=3)
    counted = models.BooleanField(default=True, help_text="false: invalid invoices, which count only by status")
    identifier = models.CharField(max_length=11)
    name = models.CharField(max_length=250)
    slot = models.PositiveSmallIntegerField(db_default=0, help_text="the writer's: a figure is the sum over slots")
    count = models.IntegerField(default=0)
    payable_cents = models.BigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(
            fields=["tenant", "monthly", "day", "direction", "currency", "counted", "identifier", "slot"], name="day_party_key")]
        # The top parties' sums read every party's rows of a range: from this index alone on PostgreSQL.
        indexes = [models.Index(fields=["tenant", "monthly", "direction", "counted", "day"], name="day_party_by_direction",
                                include=["currency", "identifier", "count", "payable_cents"]),
                   models.Index(fields=["tenant", "direction", "identifier", "monthly", "day"], name="day_party_names")]  # the top's names
