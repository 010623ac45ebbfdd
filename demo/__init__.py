"""The demo, on the top floor: two tenants that invoice each other through the local GİB hub, each
with a local test seal, and one accountant serving both (``load_demo``); ``exchange_demo`` runs an
exchange between them through the pipeline."""
