"""UBL-TR 1.2: the invoice as data (``document``), its totals, and XML both ways (``build``, ``parse``)."""
