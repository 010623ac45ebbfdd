"""What an invoice is found by: one folded column, ``Invoice.search_text``, that every search reads.

Turkish folds its letters its own way: ``I`` lowers to ``ı`` and ``İ`` to ``i``, so "ŞİŞLİ" finds
"şişli" and "IŞIK" finds "ışık". The folding happens here, in Python, for the column and for the
query alike: PostgreSQL and SQLite then compare plain lower-case text and give the same answers
(PostgreSQL reads the column through a trigram index, ``invoices.0008``). Numbers and ETTNs are also
kept lowered the usual way, so "fin2026…" finds FIN2026… as surely as "FIN2026…" does.
"""

from __future__ import annotations

_TURKISH_UPPER = str.maketrans({"I": "ı", "İ": "i"})


def fold(text: str) -> str:
    """*text* lowered as Turkish lowers it, its spaces made single."""
    return " ".join(text.translate(_TURKISH_UPPER).lower().split())


def terms(query: str) -> list[str]:
    """The words of a search, each folded: an invoice is found when its text holds every one."""
    return fold(query).split()


def search_text(*, number: str, uuid, identifier: str, name: str) -> str:
    """The column of an invoice whose other party is *name* (*identifier*)."""
    number, ettn = str(number), str(uuid).lower()
    codes = {fold(number), number.lower(), ettn, identifier}
    return " ".join([*sorted(code for code in codes if code), fold(name)])
