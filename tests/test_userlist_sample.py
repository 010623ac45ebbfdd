"""Generated registered-user lists in GİB's shape (NewUserList.xsd), for the tests and bench/userlist.py.

User *i* is a function of *i*, the list kind and a generation alone, so a test can work out what an
import must have made of any user without keeping the list. Each user has 1–3 aliases:

- every user: its main postbox/sender unit for invoices, ``urn:mail:default{kind}@u{i}.example.com.tr``;
- users with ``i % 3 >= 1``: a second invoice alias, deleted a day after it was made when *i* is even;
- users with ``i % 3 == 2``: a despatch-advice (e-İrsaliye) alias.

Generation 1 of a list is the day after: titles changed, and the main alias of every fifth user deleted.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from xml.sax.saxutils import escape

from lxml import etree

from tests.gib import GIB

_EPOCH = datetime(2014, 1, 1, 9, 0, 0)  # Turkish time, as GİB writes it
_ACCOUNT_TYPES = ("OZELENTEGRASYON", "GIBPORTAL", "ENTEGRASYON", "")


@dataclass(frozen=True)
class SampleAlias:
    document_type: str
    name: str
    created: str  # GİB's spelling: Turkish time without an offset
    deleted: str | None


@dataclass(frozen=True)
class SampleUser:
    identifier: str
    title: str
    type: str
    account_type: str
    first_created: str
    aliases: tuple[SampleAlias, ...]


def identifier(i: int) -> str:
    """Every seventh user is a person (an 11-digit TCKN), the others companies (10-digit VKNs)."""
    return str(10_000_000_000 + i) if i % 7 == 3 else str(1_000_000_000 + i)


def sample_user(i: int, *, kind: str = "PK", generation: int = 0) -> SampleUser:
    created = _EPOCH + timedelta(minutes=i)
    title = f"ÖRNEK {'Ç&Ş ' if i % 11 == 0 else ''}TİCARET {i} A.Ş." + (" (yeni unvan)" if generation else "")
    return SampleUser(
        identifier=identifier(i),
        title=title,
        type="KAMU" if i % 50 == 0 else "OZEL",
        account_type=_ACCOUNT_TYPES[i % 4],
        first_created=_spelled(created),
        aliases=tuple(_aliases(i, kind.lower(), created, generation)),
    )


def _aliases(i: int, kind: str, created: datetime, generation: int) -> Iterator[SampleAlias]:
    domain = f"u{i}.example.com.tr"
    main_deleted = created + timedelta(days=400) if generation and i % 5 == 0 else None
    yield SampleAlias("Invoice", f"urn:mail:default{kind}@{domain}", _spelled(created), _spelled(main_deleted))
    if i % 3 >= 1:
        second = created + timedelta(days=30)
        deleted = second + timedelta(days=1) if i % 2 == 0 else None
        yield SampleAlias("Invoice", f"urn:mail:{kind}2@{domain}", _spelled(second), _spelled(deleted))
    if i % 3 == 2:
        yield SampleAlias("DespatchAdvice", f"urn:mail:irsaliye{kind}@{domain}", _spelled(created + timedelta(days=60)), None)


def _spelled(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat(timespec="seconds")  # strftime: 3x slower


def user_xml(user: SampleUser) -> str:
    documents: dict[str, list[str]] = {}
    for alias in user.aliases:
        deletion = f"<DeletionTime>{alias.deleted}</DeletionTime>" if alias.deleted else ""
        documents.setdefault(alias.document_type, []).append(
            f"<Alias><Name>{escape(alias.name)}</Name><CreationTime>{alias.created}</CreationTime>{deletion}</Alias>"
        )
    account = f"<AccountType>{user.account_type}</AccountType>" if user.account_type else ""
    return (
        f"<User><Identifier>{user.identifier}</Identifier><Title>{escape(user.title)}</Title><Type>{user.type}</Type>"
        f"<FirstCreationTime>{user.first_created}</FirstCreationTime>{account}<Documents>"
        + "".join(f'<Document type="{kind}">{"".join(aliases)}</Document>' for kind, aliases in documents.items())
        + "</Documents></User>\n"
    )


def userlist_chunks(count: int, *, first: int = 0, kind: str = "PK", generation: int = 0) -> Iterator[bytes]:
    """The list of users first … first+count-1, as UTF-8 bytes a thousand users at a time."""
    yield b'<?xml version="1.0" encoding="UTF-8"?>\n<UserList>\n'
    for start in range(first, first + count, 1000):
        end = min(start + 1000, first + count)
        yield "".join(user_xml(sample_user(i, kind=kind, generation=generation)) for i in range(start, end)).encode()
    yield b"</UserList>\n"


def write_userlist(path: Path, count: int, **options) -> Path:
    with open(path, "wb") as file:
        for chunk in userlist_chunks(count, **options):
            file.write(chunk)
    return path


def test_generated_lists_follow_gibs_schema(tmp_path):
    schema = etree.XMLSchema(etree.parse(str(GIB / "xsd" / "Userlist" / "NewUserList.xsd")))
    for generation in (0, 1):
        document = etree.parse(str(write_userlist(tmp_path / "newUserPkList.xml", 60, generation=generation)))
        assert schema.validate(document), schema.error_log


def test_generated_users_have_one_to_three_aliases_some_deleted():
    users = [sample_user(i) for i in range(60)]
    assert {len(user.aliases) for user in users} == {1, 2, 3}
    assert any(alias.deleted for user in users for alias in user.aliases)
    assert {len(user.identifier) for user in users} == {10, 11}
