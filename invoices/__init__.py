"""Invoices: the model, UBL-TR build and parse, issuing, and the status each invoice is in."""
