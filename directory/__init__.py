"""Who is where: GİB's registered-user list (kayıtlı kullanıcı listesi), imported (``importing``) and
looked up (``lookup``), and the routing of an invoice that follows from it (``routing``: e-Fatura to
which postbox, or e-Arşiv). It answers "where does this go" and needs no invoice; fetching the list
from GİB is ``envelopes.gib.userlist``'s, as every call to GİB is (``envelopes.userlist`` joins the two).
"""
