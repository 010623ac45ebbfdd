"""The archive: immutable documents with their hashes, kept and searchable for ten years."""
