"""What tenants tell the floors above them, without knowing them.

``credits_added`` is sent inside the transaction that adds credits to a tenant (a top-up, a refund),
with the tenant; the pipeline sends what waited for credits once it commits (``pipeline.apps``).
"""

from django.dispatch import Signal

credits_added = Signal()  # sender: the CreditAccount class; tenant=
