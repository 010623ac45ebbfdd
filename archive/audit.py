"""The audit of people and programs: who viewed, downloaded, answered, exported or moved in which of a
tenant's documents, and when. Beside it, ``ApiCall`` logs every API call; both are read by operators
in the admin, searchable by tenant, person, key and document."""

from __future__ import annotations

from archive.models import Event


def event_record(*, tenant, action: str, subject: tuple[str, object] | None = None, user=None, api_key=None,
                 client_ip: str | None = None, detail: str = "") -> Event:
    """One thing done to *tenant*'s documents (*subject*: ``("invoice", uuid)``, ``("export", id)``…),
    by a person (*user*) or a program (*api_key*)."""
    subject_type, subject_ref = subject or ("", "")
    return Event.objects.create(tenant=tenant, action=action, subject_type=subject_type, subject_ref=str(subject_ref)[:64],
                                user=user if user is not None and user.is_authenticated else None, api_key=api_key,
                                client_ip=client_ip or None, detail=detail[:500])


def request_event(request, *, tenant, action: str, subject=None, detail: str = "") -> Event:
    """An event of the person (portal) or the key (API) behind *request*."""
    key = getattr(request, "auth", None)
    return event_record(tenant=tenant, action=action, subject=subject, user=getattr(request, "user", None),
                        api_key=key if key is not None and hasattr(key, "prefix") else None,
                        client_ip=request.META.get("REMOTE_ADDR"), detail=detail)
