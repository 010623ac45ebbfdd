"""GİB's registered-user list: import (streaming, staged, one transaction), lookups, failures, sources."""

from __future__ import annotations

import dataclasses
import gzip
import threading
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from celery.exceptions import Retry
from django.core.management import CommandError, call_command

from directory import importing as userlist
from directory.lookup import default_postbox, registered_user
from directory.models import RegisteredAlias, RegisteredUser, UserListImport
from envelopes.tasks import userlist_refresh
from envelopes.userlist import UserListError, UserListUnavailable, kind_from_name, userlist_import
from tests.test_userlist_sample import identifier, sample_user, user_xml, userlist_chunks, write_userlist

ISTANBUL = ZoneInfo("Europe/Istanbul")


def gib_time(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text).replace(tzinfo=ISTANBUL)


def pk_list(tmp_path: Path, count: int, **options) -> Path:
    return write_userlist(tmp_path / f"newUserPkList-{count}-{options}.xml", count, **options)


def live_aliases(i: int) -> set[tuple]:
    user = RegisteredUser.objects.get(identifier=identifier(i))
    return set(user.aliases.values_list("kind", "document_type", "name", "created_at", "deleted_at"))


def expected_aliases(i: int, kind: str = "PK", generation: int = 0) -> set[tuple]:
    aliases = sample_user(i, kind=kind, generation=generation).aliases
    return {(kind, a.document_type, a.name, gib_time(a.created), gib_time(a.deleted)) for a in aliases}


def test_import_makes_every_user_and_alias_of_the_list(db, tmp_path):
    result = userlist_import(source=str(pk_list(tmp_path, 30)))

    assert (result.kind, result.users, result.skipped) == ("PK", 30, 0)
    assert result.aliases == sum(len(sample_user(i).aliases) for i in range(30)) == RegisteredAlias.objects.count()
    for i in range(30):
        sample, user = sample_user(i), RegisteredUser.objects.get(identifier=identifier(i))
        assert (user.title, user.type, user.account_type) == (sample.title, sample.type, sample.account_type)
        assert user.first_created_at == gib_time(sample.first_created)
        assert live_aliases(i) == expected_aliases(i)
    record = UserListImport.objects.get(pk=result.import_id)
    assert (record.status, record.users, record.aliases, record.error) == ("succeeded", 30, result.aliases, "")
    assert record.finished_at is not None


def test_gib_times_are_turkish_time(db, tmp_path):
    userlist_import(source=str(pk_list(tmp_path, 1)))

    # 1 January 2014, 09:00 in Istanbul was 07:00 UTC (EET, before Turkey kept summer time all year).
    assert RegisteredUser.objects.get().first_created_at == datetime.fromisoformat("2014-01-01T07:00:00+00:00")


def test_registered_user_has_its_active_aliases_only(db, tmp_path):
    userlist_import(source=str(pk_list(tmp_path, 12)))

    user = registered_user(identifier(4))  # two invoice postboxes, the second deleted; no despatch box
    assert user.title == sample_user(4).title
    assert [a.name for a in user.active_aliases] == ["urn:mail:defaultpk@u4.example.com.tr"]
    assert RegisteredAlias.objects.filter(user=user, deleted_at__isnull=False).count() == 1
    assert registered_user("9999999999") is None


def test_default_postbox_is_the_oldest_active_one(db, tmp_path):
    userlist_import(source=str(pk_list(tmp_path, 12)))

    # User 1: two active invoice postboxes; the one opened first is the default.
    assert default_postbox(identifier(1)).name == "urn:mail:defaultpk@u1.example.com.tr"
    # User 2: a despatch-advice postbox besides its invoice ones.
    assert default_postbox(identifier(2), "DespatchAdvice").name == "urn:mail:irsaliyepk@u2.example.com.tr"
    assert default_postbox(identifier(0), "DespatchAdvice") is None
    assert default_postbox("9999999999") is None  # not registered: e-Arşiv


def test_a_user_whose_postboxes_are_all_deleted_has_none(db, tmp_path):
    userlist_import(source=str(pk_list(tmp_path, 12, generation=1)))

    # User 10: main box deleted in generation 1, second box deleted a day after it was made.
    assert default_postbox(identifier(10)) is None
    assert registered_user(identifier(10)).active_aliases == []
    # User 5: main box deleted, the second (odd user) still open: that one is the default now.
    assert default_postbox(identifier(5)).name == "urn:mail:pk2@u5.example.com.tr"


def test_an_alias_deleted_in_the_future_is_still_active(db, tmp_path):
    path = tmp_path / "newUserPkList.xml"
    deletion = b"</CreationTime><DeletionTime>2999-01-01T00:00:00</DeletionTime>"
    path.write_bytes(b"".join(userlist_chunks(1)).replace(b"</CreationTime>", deletion))
    userlist_import(source=str(path))

    assert default_postbox(identifier(0)).deleted_at == gib_time("2999-01-01T00:00:00")


def test_a_reimport_replaces_the_list(db, tmp_path):
    userlist_import(source=str(pk_list(tmp_path, 20)))
    result = userlist_import(source=str(pk_list(tmp_path, 20, first=10, generation=1)))

    assert set(RegisteredUser.objects.values_list("identifier", flat=True)) == {identifier(i) for i in range(10, 30)}
    assert result.users_removed == 10
    assert RegisteredAlias.objects.count() == result.aliases  # nothing of the old list is left over
    for i in range(10, 30):
        assert RegisteredUser.objects.get(identifier=identifier(i)).title == sample_user(i, generation=1).title
        assert live_aliases(i) == expected_aliases(i, generation=1)
    assert default_postbox(identifier(25)).name == "urn:mail:pk2@u25.example.com.tr"  # its main box was deleted


def test_importing_the_same_list_again_writes_nothing(db, tmp_path):
    path = str(pk_list(tmp_path, 20))
    userlist_import(source=path)
    before = set(RegisteredAlias.objects.values_list("id", "user_id", "name"))
    users_before = set(RegisteredUser.objects.values_list("id", "identifier"))

    result = userlist_import(source=path)

    assert (result.users, result.users_removed) == (20, 0)
    assert set(RegisteredAlias.objects.values_list("id", "user_id", "name")) == before
    assert set(RegisteredUser.objects.values_list("id", "identifier")) == users_before


def test_the_gb_and_pk_lists_live_side_by_side(db, tmp_path):
    userlist_import(source=str(pk_list(tmp_path, 10)))
    userlist_import(source=str(write_userlist(tmp_path / "newUserGbList.xml", 15, kind="GB")))

    assert RegisteredUser.objects.count() == 15
    assert live_aliases(3) == expected_aliases(3) | expected_aliases(3, kind="GB")
    assert default_postbox(identifier(12)) is None  # a sender unit is not a postbox

    userlist_import(source=str(pk_list(tmp_path, 5)))  # users 5-9 leave the PK list, not the GB list
    assert RegisteredUser.objects.count() == 15
    assert live_aliases(7) == expected_aliases(7, kind="GB")

    userlist_import(source=str(write_userlist(tmp_path / "newUserGbList-5.xml", 5, kind="GB")))
    assert set(RegisteredUser.objects.values_list("identifier", flat=True)) == {identifier(i) for i in range(5)}
    assert not RegisteredAlias.objects.exclude(user__in=RegisteredUser.objects.all()).exists()  # no alias outlives its user


def test_users_without_an_identifier_are_skipped(db, tmp_path):
    path = tmp_path / "newUserPkList.xml"
    path.write_bytes(b"".join(userlist_chunks(3)).replace(b"<Identifier>1000000001</Identifier>", b""))

    result = userlist_import(source=str(path))

    assert (result.users, result.skipped) == (2, 1)
    assert UserListImport.objects.get().skipped == 1


def test_a_user_listed_twice_is_taken_from_its_last_entry(db, tmp_path):
    twice = dataclasses.replace(sample_user(1), title="SON UNVAN")
    path = tmp_path / "newUserPkList.xml"
    path.write_bytes(b"".join(userlist_chunks(3)).replace(b"</UserList>", user_xml(twice).encode() + b"</UserList>"))

    assert userlist_import(source=str(path)).users == RegisteredUser.objects.count() == 3
    assert registered_user(identifier(1)).title == "SON UNVAN"


def test_an_alias_with_several_names_makes_one_alias_per_name(db, tmp_path):
    path = tmp_path / "newUserPkList.xml"
    two_names = b"<Name>urn:mail:defaultpk@u0.example.com.tr</Name><Name>urn:mail:ikinci@u0.example.com.tr</Name>"
    path.write_bytes(b"".join(userlist_chunks(1)).replace(b"<Name>urn:mail:defaultpk@u0.example.com.tr</Name>", two_names))

    userlist_import(source=str(path))

    created = gib_time(sample_user(0).aliases[0].created)
    assert set(RegisteredAlias.objects.values_list("name", "created_at")) == {
        ("urn:mail:defaultpk@u0.example.com.tr", created),
        ("urn:mail:ikinci@u0.example.com.tr", created),
    }


def assert_failed_and_kept(source: Path | str, message: str, before: set, *, error=UserListError) -> UserListImport:
    with pytest.raises(error, match=message):
        userlist_import(source=str(source), kind="PK")
    assert set(RegisteredAlias.objects.values_list("id", "name", "deleted_at")) == before
    record = UserListImport.objects.latest("started_at")
    assert record.status == "failed" and record.finished_at is not None
    assert message.lower() in record.error.lower()
    return record


@pytest.fixture
def imported(db, tmp_path) -> set:
    userlist_import(source=str(pk_list(tmp_path, 10)))
    return set(RegisteredAlias.objects.values_list("id", "name", "deleted_at"))


def test_a_list_broken_midway_leaves_the_previous_list(imported, tmp_path):
    whole = b"".join(userlist_chunks(3000, generation=1))
    broken = tmp_path / "broken.xml"
    broken.write_bytes(whole[: len(whole) // 2] + b"<User><Identifier>12</Ident")  # well past the first batch

    record = assert_failed_and_kept(broken, "not well-formed XML: a tag is not closed with >, line ", imported)
    assert record.users == 0


def test_a_list_failing_while_applied_leaves_the_previous_list(imported, tmp_path, monkeypatch):
    # The last statement of the transaction fails: users and aliases already changed must roll back.
    monkeypatch.setattr(userlist, "_DELETE_USERS", "DELETE FROM no_such_table")
    users_before = set(RegisteredUser.objects.values_list("id", "identifier", "title"))

    assert_failed_and_kept(pk_list(tmp_path, 20, first=5, generation=1), "no_such_table", imported, error=Exception)
    assert set(RegisteredUser.objects.values_list("id", "identifier", "title")) == users_before


@pytest.mark.parametrize(
    "prolog",
    [
        b'<!DOCTYPE UserList [<!ENTITY t "EVIL">]>',
        b'<!DOCTYPE UserList SYSTEM "http://127.0.0.1:9/userlist.dtd">',
        b'<!DOCTYPE UserList [<!ENTITY t SYSTEM "file:///etc/passwd">]>',
    ],
)
def test_a_doctype_is_refused(imported, tmp_path, prolog):
    document = b"".join(userlist_chunks(2)).replace(b"<UserList>", prolog + b"<UserList>", 1)
    path = tmp_path / "doctype.xml"
    path.write_bytes(document.replace(b"<Title>", b"<Title>&t;", 1) if b"ENTITY" in prolog else document)

    assert_failed_and_kept(path, "DOCTYPE", imported)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"<html><body>Service Unavailable</body></html>", "not a <UserList>"),
        (b"<UserList></UserList>", "names no users"),
        (b"", "not well-formed"),
        (b"".join(userlist_chunks(2)).replace(b"2014-01-01T09:01:00", b"yesterday", 1), "line 4: FirstCreationTime"),
        (b"".join(userlist_chunks(2)).replace(b"1000000001", b"10000X0001", 1), "neither a VKN nor a TCKN"),
    ],
)
def test_a_list_that_is_not_one_is_refused(imported, tmp_path, content, message):
    path = tmp_path / "odd.xml"
    path.write_bytes(content)

    assert_failed_and_kept(path, message, imported)


def test_a_missing_file_is_unavailable(imported, tmp_path):
    assert_failed_and_kept(tmp_path / "nothing-here.xml", "cannot open", imported, error=UserListUnavailable)


# --- Sources ---------------------------------------------------------------------------------


def gib_zip(tmp_path: Path, count: int, name: str = "newUserPkListxml.zip", members: int = 1) -> Path:
    """As GİB serves it: a zip holding one XML file."""
    path = tmp_path / name
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for n in range(members):
            archive.writestr(f"newUserPkList{n or ''}.xml", b"".join(userlist_chunks(count)))
    return path


def test_a_zipped_list(db, tmp_path):
    assert userlist_import(source=str(gib_zip(tmp_path, 25))).users == 25
    assert live_aliases(24) == expected_aliases(24)


def test_a_gzipped_list(db, tmp_path):
    path = tmp_path / "newUserPkList.xml.gz"
    path.write_bytes(gzip.compress(b"".join(userlist_chunks(25))))

    assert userlist_import(source=str(path)).users == 25


def test_a_zip_of_several_files_is_refused(imported, tmp_path):
    assert_failed_and_kept(gib_zip(tmp_path, 2, members=2), "holds 2 files", imported)


def test_a_damaged_gzip_is_refused(imported, tmp_path):
    path = tmp_path / "newUserPkList.xml.gz"
    path.write_bytes(gzip.compress(b"".join(userlist_chunks(500)))[:-2000])

    assert_failed_and_kept(path, "decompress", imported)


@contextmanager
def serving(files: dict[str, bytes]) -> Iterator[str]:
    """A web server on a free port with these files; anything else is a 404."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            body = files.get(self.path)
            if body is None:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_a_list_downloaded_as_gib_serves_it(db, tmp_path):
    with serving({"/EFaturaMerkez/newUserPkListxml.zip": gib_zip(tmp_path, 25).read_bytes()}) as base:
        result = userlist_import(source=f"{base}/EFaturaMerkez/newUserPkListxml.zip")

    assert (result.kind, result.users) == ("PK", 25)


def test_a_failed_download_is_unavailable_and_recorded_without_its_query(imported):
    with serving({}) as base:
        url = f"{base}/newUserPkListxml.zip?token=secret"
        record = assert_failed_and_kept(url, "HTTP 404", imported, error=UserListUnavailable)

    assert "secret" not in record.source + record.error
    assert record.source == f"{base}/newUserPkListxml.zip"


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("https://merkez.efatura.gov.tr/EFaturaMerkez/newUserPkListxml.zip", "PK"),
        ("https://merkez.efatura.gov.tr/EFaturaMerkez/newUserGbListxml.zip", "GB"),
        ("/data/newUserGbList.xml", "GB"),
        ("/data/pklist/users.xml", None),
        ("/data/list.xml", None),
    ],
)
def test_the_kind_comes_from_gibs_file_names(name, kind):
    if kind is None:
        with pytest.raises(UserListError, match="name the kind"):
            kind_from_name(name)
    else:
        assert kind_from_name(name) == kind


# --- Command and task ------------------------------------------------------------------------


def test_the_command_imports_and_reports(db, tmp_path, capsys):
    call_command("userlist_import", str(write_userlist(tmp_path / "users.xml", 7, kind="GB")), "--kind", "gb")

    assert "GB list: 7 users" in capsys.readouterr().out
    assert RegisteredAlias.objects.filter(kind="GB").count() == sum(len(sample_user(i).aliases) for i in range(7))


def test_the_command_fails_loudly(imported, tmp_path):
    broken = tmp_path / "newUserPkList.xml"
    broken.write_bytes(b"<UserList><User>")

    with pytest.raises(CommandError, match="previous one stays.*not well-formed"):
        call_command("userlist_import", str(broken))


def test_the_task_imports_every_configured_list_and_retries_only_the_unavailable(db, tmp_path, settings):
    gb = write_userlist(tmp_path / "newUserGbList.xml", 4, kind="GB")
    with serving({}) as base:
        settings.GIB_USERLIST_SOURCE = [str(pk_list(tmp_path, 6)), f"{base}/newUserPkListxml.zip", str(gb)]
        with pytest.raises(Retry):
            userlist_refresh()

    assert RegisteredUser.objects.count() == 6
    assert set(RegisteredAlias.objects.values_list("kind", flat=True)) == {"GB", "PK"}


def test_the_task_leaves_a_broken_list_for_the_next_run(db, tmp_path, settings):
    broken = tmp_path / "newUserPkList.xml"
    broken.write_bytes(b"<UserList><User>")
    settings.GIB_USERLIST_SOURCE = [str(broken)]

    userlist_refresh()  # no retry: the same list would fail the same way

    assert UserListImport.objects.get().status == "failed"


def test_operators_read_the_list_in_the_admin(admin_client, tmp_path):
    userlist_import(source=str(pk_list(tmp_path, 3)))
    user = RegisteredUser.objects.get(identifier=identifier(2))

    assert admin_client.get("/admin/directory/registereduser/", {"q": identifier(2)}).status_code == 200
    page = admin_client.get(f"/admin/directory/registereduser/{user.pk}/change/")
    assert page.status_code == 200 and "urn:mail:irsaliyepk@u2.example.com.tr" in page.content.decode()
    assert admin_client.get("/admin/directory/userlistimport/").status_code == 200
    assert admin_client.get("/admin/directory/registereduser/add/").status_code == 403
