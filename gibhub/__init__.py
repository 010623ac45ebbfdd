"""The local GİB hub: GİB's EFaturaService and its envelope processing, served by this project for
development, the demo and the tests. Installed only while ``GIB_HUB_ENABLED`` (never beside GİB's own)."""
