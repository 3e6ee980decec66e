"""The ack is written out by hand for speed (protocol.ack_frame): it must stay the model's JSON, byte for byte."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from server.transport import protocol


@given(frame_id=st.text(min_size=1, max_size=protocol.MAX_ID), seq=st.integers(0, 2**53), duplicate=st.booleans())
def test_the_written_ack_is_the_models_json(frame_id: str, seq: int, duplicate: bool) -> None:
    assert (
        protocol.ack_frame(frame_id, seq, duplicate)
        == protocol.Ack(id=frame_id, seq=seq, duplicate=duplicate).model_dump_json()
    )
