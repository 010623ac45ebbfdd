"""An envelope's states as an explicit table: each move allowed by it is recorded, any other refused."""

import pytest

from envelopes.models import Envelope, EnvelopeStateChange
from envelopes.states import TRANSITIONS, IllegalEnvelopeMove, envelope_made, envelope_move

State = Envelope.State


@pytest.fixture
def envelope(tenant_a) -> Envelope:
    return envelope_made(Envelope.objects.create(
        tenant=tenant_a, uuid="6f1e7c1a-3b9d-4f6e-9a51-2c8d0e4b7a10", direction=Envelope.Direction.OUTGOING,
        type=Envelope.Type.SENDER, state=State.PACKED, sender_alias="urn:mail:gb@a-tekstil.com.tr",
        receiver_alias="urn:mail:pk@b-gida.com.tr", party_identifier="4840847211", file_name="x.zip", data=b"PK", md5="x",
    ))


def test_every_state_has_its_row_in_the_table():
    assert set(TRANSITIONS) == {"", *State.values}


@pytest.mark.parametrize(("start", "to"), [
    (start, to) for start in State.values for to in State.values if to not in TRANSITIONS[start]
])
def test_a_move_the_table_does_not_allow_is_refused_and_recorded_nowhere(envelope, start, to):
    Envelope.objects.filter(id=envelope.id).update(state=start)
    envelope.refresh_from_db()
    before = EnvelopeStateChange.objects.count()
    with pytest.raises(IllegalEnvelopeMove):
        envelope_move(envelope, to=to)
    assert envelope.state == start and EnvelopeStateChange.objects.count() == before


def test_a_move_is_recorded_once_and_staying_put_is_not_a_move(envelope):
    envelope_move(envelope, to=State.SENDING, text="-3")
    envelope_move(envelope, to=State.SENDING)  # a retried call
    envelope_move(envelope, to=State.SENT)
    envelope_move(envelope, to=State.SENT)  # another poll, another waiting code
    moves = list(envelope.state_changes.order_by("id").values_list("from_state", "to_state", "text"))
    assert moves == [("", "packed", ""), ("packed", "sending", "-3"), ("sending", "sent", "")]
