"""Codes the local GİB hub answers on purpose: status codes instead of processing, faults instead of
a synchronous answer, each used up once per envelope or call; and the command that sets them."""

import pytest
from django.core.management import CommandError, call_command

from envelopes import sbdh
from envelopes.gib.client import GibFault
from gibhub.forcing import ForceInvalid, hub_force
from gibhub.models import ForcedCode, HubDeliveryAttempt, HubEnvelope
from tests.envelope_helpers import ENVELOPE_ID
from tests.envelope_helpers import envelope, invoices  # noqa: F401  (fixtures)
from tests.gibhub_fixtures import B_PK, history, hub, sender_envelope, serve_receiver, skip_without_hub, system_envelope  # noqa: F401

pytestmark = [pytest.mark.django_db(transaction=True), skip_without_hub]


def fault_of(call) -> int:
    with pytest.raises(GibFault) as raised:
        call()
    return raised.value.fault_code


@pytest.mark.parametrize(("code", "path"), [
    (1150, [1150]),
    (1163, [1163]),
    (1195, [1195]),
    (1200, [1200]),
    (1210, [1200, 1210]),
    (1215, [1200, 1210, 1215]),
    (1220, [1200, 1220]),
    (1230, [1200, 1230]),
    (1300, [1200, 1300]),
])
def test_a_forced_status_replaces_processing_and_delivery(hub, envelope, code, path):
    hub_force(code=code)

    hub.send(envelope)

    assert history(ENVELOPE_ID) == [1000, 1100, *path]
    assert hub.status(ENVELOPE_ID)[0] == str(code)
    assert not hub.b.received and not HubDeliveryAttempt.objects.exists()


def test_a_forced_code_is_used_up_then_the_hub_is_itself_again(hub, invoices):
    hub_force(code=1230, times=2)
    envelopes = [sender_envelope([invoice]) for invoice in invoices]
    for xml in envelopes:
        hub.send(xml)

    assert [history(sbdh.parse_envelope(xml).uuid)[-1] for xml in envelopes] == [1230, 1230, 1200]
    assert ForcedCode.objects.get().remaining == 0
    assert len(hub.b.received) == 1


def test_a_code_forced_for_another_receiver_is_left_for_it(hub, envelope):
    hub_force(code=1150, receiver_alias="urn:mail:pk@baska.com.tr")

    hub.send(envelope)

    assert history(ENVELOPE_ID)[-1] == 1200
    assert ForcedCode.objects.get().remaining == 1


def test_a_code_for_the_receiver_comes_before_one_for_any(hub, invoices):
    hub_force(code=1230)
    hub_force(code=1300, receiver_alias=B_PK.upper())  # aliases compare without regard to case
    first, second = sender_envelope(invoices[:1]), sender_envelope(invoices[1:2])
    hub.send(first)
    hub.send(second)

    assert history(sbdh.parse_envelope(first).uuid)[-1] == 1300
    assert history(sbdh.parse_envelope(second).uuid)[-1] == 1230


def test_a_forced_fault_answers_send_document_and_the_envelope_is_not_taken(hub, envelope):
    hub_force(code=2000)
    hub_force(code=2003, receiver_alias=B_PK)

    assert fault_of(lambda: hub.send(envelope)) == 2003
    assert fault_of(lambda: hub.send(envelope)) == 2000
    assert not HubEnvelope.objects.exists()
    assert hub.send(envelope)[1] == "ZARF KUYRUGA EKLENDI"
    assert history(ENVELOPE_ID)[-1] == 1200


def test_a_forced_2004_answers_get_application_response(hub, envelope):
    hub.send(envelope)
    hub_force(code=2004)

    assert fault_of(lambda: hub.client.get_application_response(ENVELOPE_ID)) == 2004
    assert hub.status(ENVELOPE_ID)[0] == "1200"


def test_a_fault_can_be_forced_on_either_call(hub, envelope):
    hub.send(envelope)
    hub_force(code=2005, operation=ForcedCode.Operation.QUERY)

    assert fault_of(lambda: hub.client.get_application_response(ENVELOPE_ID)) == 2005


def test_system_envelopes_are_never_forced(hub, envelope):
    hub.send(envelope)
    hub_force(code=2000)
    hub_force(code=1150)

    hub.send(system_envelope(ENVELOPE_ID, 1200))

    assert history(ENVELOPE_ID)[-1] == 1300
    assert list(ForcedCode.objects.values_list("remaining", flat=True)) == [1, 1]


@pytest.mark.parametrize(("code", "times", "operation"), [
    (1000, 1, None), (999, 1, None), (3000, 1, None), (1300, 0, None), (1300, 1, ForcedCode.Operation.SEND),
])
def test_what_cannot_be_forced_is_refused(code, times, operation):
    with pytest.raises(ForceInvalid):
        hub_force(code=code, times=times, operation=operation)
    assert not ForcedCode.objects.exists()


def test_the_command_forces_codes(capsys):
    call_command("gibhub", "force", "1300", "--receiver", B_PK, "--times", "2")
    call_command("gibhub", "force", "2005", "--on", "query")

    forced = list(ForcedCode.objects.values_list("code", "receiver_alias", "operation", "remaining"))
    assert forced == [(1300, B_PK, "processing", 2), (2005, "", "getApplicationResponse", 1)]
    assert "1300" in capsys.readouterr().out
    with pytest.raises(CommandError, match="1000"):
        call_command("gibhub", "force", "1000")
