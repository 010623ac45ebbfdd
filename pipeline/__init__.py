"""The way of an invoice, read in one place.

Outgoing, one e-Fatura or e-Arşiv invoice, each step a task that takes an id, calls one service of
the app that owns the step, and enqueues the next (``pipeline.tasks``)::

    issue     flow.draft_submit        invoices.services.draft_issue      the API, the portal, a command
    validate  tasks.invoice_validate   invoices.steps.invoice_validate    ISSUED → VALID | INVALID
    seal      tasks.invoice_seal       invoices.steps.invoice_seal        VALID → SEALED (e-Arşiv: → KEPT) | HELD
    deliver   delivery.tasks.deliveries_plan  delivery.services.deliveries_plan   e-Arşiv, KEPT: by e-mail and SMS to the buyer
    pack      tasks.envelopes_pack     envelopes.sending.envelopes_pack   SEALED → QUEUED, per receiver postbox
    send      tasks.envelope_send      envelopes.sending.envelope_send    QUEUED → SENT
    poll      tasks.envelopes_poll     envelopes.polling.poll_due         SENT → DELIVERED | FAILED; 1215/1230: pack again

Answers and what GİB pushes to us::

    answer    flow.invoice_answer      invoices.answers, envelopes.answers   RECEIVED → ACCEPTED | REJECTED, then send
    receive   flow.envelope_receive    envelopes.receiving                 then tasks.system_response_send, then send

A seal registered releases the invoices held for want of one (``apps``), and the sweeper
(``sweeper``, on beat) enqueues again what waits too long in a state a task should have moved it
from. Services below return outcomes and never enqueue: only this package leads one step to the next.
"""
