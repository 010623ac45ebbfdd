"""Envelopes (zarf): SBDH packaging per receiver, the one client that talks to GİB, polling, the inbox."""
