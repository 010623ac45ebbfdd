"""Validation rules: GİB's installed schematron package, compiled once, and the platform's own rules."""
