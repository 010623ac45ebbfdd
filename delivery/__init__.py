"""The invoice a person reads: its PDF (through its own XSLT, with GİB's karekod), delivered to the
buyer by e-mail and SMS, and the buyer's link that opens it without a login."""
