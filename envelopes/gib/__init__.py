"""GİB's EFaturaService: the client that talks to GİB (``client``) and the wire format both sides
of the service speak (``soap``), which the platform's receiving endpoint and the local hub serve."""
