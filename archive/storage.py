"""Where the archive's objects live: files under ``ARCHIVE_DIR`` (the embedded default), or an S3
bucket (AWS, MinIO, Ceph RGW alike) with versioning and Object Lock, through boto3.

Objects are content-addressed and written once: putting a key that exists is a no-op when it holds the
same bytes, and refused when it does not (a store never overwrites). Reads stream. Nothing is deleted
before its retain-until: the file store refuses in code, the bucket refuses by its lock in compliance
mode (``put`` sets it on every object).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import os
import shutil
import uuid
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import BinaryIO

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from integrator.errors import DomainError

CHUNK = 1 << 20
HANDOVER_PREFIX = "handover/"  # in a bucket: files handed over (exports), beside the documents and never locked


class StoreError(DomainError):
    code = "archive_store_error"
    message = _("The archive's store failed: %(reason)s")


class ObjectConflict(StoreError):
    code = "archive_object_conflict"
    message = _("The archive already holds other bytes under %(key)s; an object is never overwritten.")


class ObjectMissing(StoreError):
    code = "archive_object_missing"
    message = _("The archive holds no object under %(key)s.")


class ObjectRetained(StoreError):
    code = "archive_object_retained"
    message = _("%(key)s is kept until %(until)s and cannot be deleted before.")


def sha256_of(stream: BinaryIO) -> str:
    digest = hashlib.sha256()
    for chunk in iter(lambda: stream.read(CHUNK), b""):
        digest.update(chunk)
    return digest.hexdigest()


class FileStore:
    """Files under *root*: each written to a temporary name, flushed to disk, linked to its key (a
    link never replaces a file) and made read-only."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if self.root.resolve() not in path.parents:
            raise StoreError(reason=_("the key %(key)s leaves the archive") % {"key": key})
        return path

    def put(self, key: str, data: bytes, *, sha256: str, media_type: str, retain_until: dt.datetime) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
        with open(temporary, "xb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        try:
            os.link(temporary, path)
            os.chmod(path, 0o444)
        except FileExistsError:
            self._same(key, sha256)
        finally:
            temporary.unlink()

    def put_file(self, key: str, path: Path, *, media_type: str) -> None:
        """A file handed over (``archive.handover``): linked into place (copied when it lies on another
        file system); refused if the key is taken."""
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(path, target)
        except FileExistsError:
            raise ObjectConflict(key=key) from None
        except OSError:  # another file system
            temporary = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
            shutil.copyfile(path, temporary)
            try:
                os.link(temporary, target)
            except FileExistsError:
                raise ObjectConflict(key=key) from None
            finally:
                temporary.unlink()

    def remove(self, key: str) -> None:
        """A handed-over file, gone (never an archived document: those are only ``delete``d, after their retention)."""
        self._path(key).unlink(missing_ok=True)

    def _same(self, key: str, sha256: str) -> None:
        with self.open(key) as stream:
            if sha256_of(stream) != sha256:
                raise ObjectConflict(key=key)

    def open(self, key: str) -> BinaryIO:
        try:
            return open(self._path(key), "rb")
        except FileNotFoundError:
            raise ObjectMissing(key=key) from None

    def delete(self, key: str, *, retain_until: dt.datetime, now: dt.datetime) -> None:
        if now < retain_until:
            raise ObjectRetained(key=key, until=retain_until.date().isoformat())
        path = self._path(key)
        os.chmod(path, 0o600)
        path.unlink()

    def keys(self) -> Iterator[str]:
        for path in sorted(self.root.rglob("*")):
            if path.is_file() and not path.name.startswith("."):
                yield path.relative_to(self.root).as_posix()


class S3Store:
    """An S3 bucket with versioning and Object Lock: every object is put in compliance mode until its
    retain-until, encrypted at rest, with its SHA-256 checked by the server on arrival."""

    def __init__(self, *, bucket: str, client) -> None:
        self.bucket, self.client = bucket, client

    def put(self, key: str, data: bytes, *, sha256: str, media_type: str, retain_until: dt.datetime) -> None:
        from botocore.exceptions import ClientError

        checksum = base64.b64encode(bytes.fromhex(sha256)).decode()
        try:
            self.client.put_object(
                Bucket=self.bucket, Key=key, Body=data, ContentType=media_type, IfNoneMatch="*",
                ChecksumAlgorithm="SHA256", ChecksumSHA256=checksum, ServerSideEncryption="AES256",
                ObjectLockMode="COMPLIANCE", ObjectLockRetainUntilDate=retain_until,
            )
        except ClientError as exc:
            if _code(exc) not in ("PreconditionFailed", "ConditionalRequestConflict"):
                raise StoreError(reason=_code(exc)) from None
            self._same(key, checksum)

    def put_file(self, key: str, path: Path, *, media_type: str) -> None:
        """A file handed over (``archive.handover``), uploaded in parts as large files are; no lock:
        it is removed after its days."""
        self.client.upload_file(str(path), self.bucket, key, ExtraArgs={"ContentType": media_type, "ServerSideEncryption": "AES256",
                                                                         "ChecksumAlgorithm": "SHA256"})

    def remove(self, key: str) -> None:
        """Every version of a handed-over file (no lock holds them)."""
        if not key.startswith(HANDOVER_PREFIX):
            raise StoreError(reason=_("%(key)s is an archived document, not a file handed over") % {"key": key})
        versions = self.client.list_object_versions(Bucket=self.bucket, Prefix=key)
        for version in [*versions.get("Versions", []), *versions.get("DeleteMarkers", [])]:
            if version["Key"] == key:
                self.client.delete_object(Bucket=self.bucket, Key=key, VersionId=version["VersionId"])

    def _same(self, key: str, checksum: str) -> None:
        head = self._head(key)
        if head.get("ChecksumSHA256") != checksum:
            raise ObjectConflict(key=key)

    def _head(self, key: str) -> dict:
        from botocore.exceptions import ClientError

        try:
            return self.client.head_object(Bucket=self.bucket, Key=key, ChecksumMode="ENABLED")
        except ClientError as exc:
            if _code(exc) in ("404", "NoSuchKey", "NotFound"):
                raise ObjectMissing(key=key) from None
            raise StoreError(reason=_code(exc)) from None

    def open(self, key: str) -> BinaryIO:
        from botocore.exceptions import ClientError

        try:
            return self.client.get_object(Bucket=self.bucket, Key=key)["Body"]
        except ClientError as exc:
            if _code(exc) in ("NoSuchKey", "404"):
                raise ObjectMissing(key=key) from None
            raise StoreError(reason=_code(exc)) from None

    def retention(self, key: str) -> tuple[str, dt.datetime | None]:
        """The lock the bucket holds on the key's current version: (mode, retain-until)."""
        head = self._head(key)
        return head.get("ObjectLockMode", ""), head.get("ObjectLockRetainUntilDate")

    def delete(self, key: str, *, retain_until: dt.datetime, now: dt.datetime) -> None:
        """Every version of *key*; before *retain_until* refused here, and by the bucket's lock."""
        if now < retain_until:
            raise ObjectRetained(key=key, until=retain_until.date().isoformat())
        versions = self.client.list_object_versions(Bucket=self.bucket, Prefix=key).get("Versions", [])
        for version in (v for v in versions if v["Key"] == key):
            self.client.delete_object(Bucket=self.bucket, Key=key, VersionId=version["VersionId"])

    def keys(self) -> Iterator[str]:
        for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket):
            yield from (item["Key"] for item in page.get("Contents", []) if not item["Key"].startswith(HANDOVER_PREFIX))


def _code(exc) -> str:
    return str(exc.response.get("Error", {}).get("Code", "")) or type(exc).__name__


def s3_client():
    import boto3
    from botocore.config import Config

    return boto3.client(
        "s3", endpoint_url=settings.ARCHIVE_S3_ENDPOINT_URL or None, region_name=settings.ARCHIVE_S3_REGION,
        aws_access_key_id=settings.ARCHIVE_S3_ACCESS_KEY_ID or None, aws_secret_access_key=settings.ARCHIVE_S3_SECRET_ACCESS_KEY or None,
        config=Config(retries={"max_attempts": 5, "mode": "standard"}, connect_timeout=10, read_timeout=60,
                      max_pool_connections=settings.ARCHIVE_WRITES_AT_ONCE + 2),
    )


@cache
def _store(kind: str, where: str):
    if kind == "s3":
        return S3Store(bucket=where, client=s3_client())
    return FileStore(Path(where))


def store() -> FileStore | S3Store:
    """The store settings name (``ARCHIVE_STORE``: ``file`` or ``s3``), one per process and setting."""
    if settings.ARCHIVE_STORE == "s3":
        return _store("s3", settings.ARCHIVE_S3_BUCKET)
    return _store("file", str(settings.ARCHIVE_DIR))


def bucket_prepare(*, client, bucket: str, region: str) -> None:
    """A bucket as the archive needs it: versioning on and Object Lock enabled (S3 enables it only at
    creation). Made if missing; an existing bucket without them is refused, with the reason."""
    from botocore.exceptions import ClientError

    try:
        client.head_bucket(Bucket=bucket)
    except ClientError:
        options = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
        client.create_bucket(Bucket=bucket, ObjectLockEnabledForBucket=True, **options)
    bucket_check(client=client, bucket=bucket)


def bucket_check(*, client, bucket: str) -> None:
    from botocore.exceptions import ClientError

    if client.get_bucket_versioning(Bucket=bucket).get("Status") != "Enabled":
        raise StoreError(reason=_("versioning is not enabled on the bucket %(bucket)s") % {"bucket": bucket})
    try:
        lock = client.get_object_lock_configuration(Bucket=bucket)["ObjectLockConfiguration"]
    except ClientError:
        lock = {}
    if lock.get("ObjectLockEnabled") != "Enabled":
        raise StoreError(reason=_("Object Lock is not enabled on the bucket %(bucket)s") % {"bucket": bucket})
