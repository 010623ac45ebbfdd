"""The seal (mali mühür): XAdES signatures, key providers, timestamps and verification."""
