"""The hub's registered-user list, published as GİB publishes its own: one list per alias kind
(``newUserGbListxml.zip``, ``newUserPkListxml.zip``), each a zip holding one XML file in the shape of
GİB's ``NewUserList.xsd``. Deleted aliases stay in the list with their deletion time, as in GİB's."""

from __future__ import annotations

import io
import zipfile
from zoneinfo import ZoneInfo

from django.db.models import Prefetch
from lxml import etree

from gibhub.models import HubAlias, HubUser

GIB_TIME_ZONE = ZoneInfo("Europe/Istanbul")  # GİB writes the list's times in Turkish time, without an offset
FILE_NAMES = {"GB": "newUserGbListxml.zip", "PK": "newUserPkListxml.zip"}


def _time(moment) -> str:
    return moment.astimezone(GIB_TIME_ZONE).replace(tzinfo=None).isoformat(timespec="seconds")


def _text(parent: etree._Element, tag: str, text: str) -> None:
    etree.SubElement(parent, tag).text = text


def _alias(document: etree._Element, alias: HubAlias) -> None:
    element = etree.SubElement(document, "Alias")
    _text(element, "Name", alias.name)
    _text(element, "CreationTime", _time(alias.created_at))
    if alias.deleted_at:
        _text(element, "DeletionTime", _time(alias.deleted_at))


def _user(root: etree._Element, user: HubUser) -> None:
    """One <User>, its elements in the order of the XSD's sequence; a <Document> per document type."""
    element = etree.SubElement(root, "User")
    for tag, text in (("Identifier", user.identifier), ("Title", user.title), ("Type", user.type),
                      ("FirstCreationTime", _time(user.first_created_at)), ("AccountType", user.account_type)):
        _text(element, tag, text)
    documents = etree.SubElement(element, "Documents")
    by_type: dict[str, etree._Element] = {}
    for alias in user.listed_aliases:
        if alias.document_type not in by_type:
            by_type[alias.document_type] = etree.SubElement(documents, "Document", type=alias.document_type)
        _alias(by_type[alias.document_type], alias)


def userlist_xml(*, kind: str) -> bytes:
    """The list of users having a *kind* (GB or PK) alias, deleted ones included, with those aliases."""
    aliases = HubAlias.objects.filter(kind=kind).order_by("document_type", "created_at", "id")
    users = (HubUser.objects.filter(aliases__kind=kind).distinct().order_by("identifier")
             .prefetch_related(Prefetch("aliases", queryset=aliases, to_attr="listed_aliases")))
    root = etree.Element("UserList")
    for user in users:
        _user(root, user)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def userlist_zip(*, kind: str) -> bytes:
    """The list zipped as GİB serves it: one XML file, named like the zip without ``xml.zip``."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(FILE_NAMES[kind].removesuffix("xml.zip") + ".xml", userlist_xml(kind=kind))
    return out.getvalue()
