"""What signing tells the floors above it, without knowing them.

``seal_registered`` is sent inside the transaction that registers a usable seal, with the seal and the
tenants it may now seal for; the pipeline releases their held invoices (``pipeline.apps``).
"""

from django.dispatch import Signal

seal_registered = Signal()  # sender: the Seal class; seal=, tenant_ids=
