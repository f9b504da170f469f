import time
import uuid

import pytest

from nentang.kernel.ids import id_timestamp_ms, new_id, parse_id


def test_new_ids_are_uuid7_and_sort_by_creation() -> None:
    ids = [new_id() for _ in range(2000)]
    assert all(isinstance(value, uuid.UUID) and value.version == 7 for value in ids)
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)


def test_timestamp_is_now() -> None:
    before = int(time.time() * 1000)
    value = new_id()
    after = int(time.time() * 1000)
    assert before <= id_timestamp_ms(value) <= after


def test_parse_refuses_garbage() -> None:
    value = new_id()
    assert parse_id(str(value)) == value
    with pytest.raises(ValueError, match="badly formed"):
        parse_id("not-an-id")
    with pytest.raises(ValueError, match="UUIDv7"):
        id_timestamp_ms(uuid.uuid4())


def test_a_burst_of_ids_does_not_run_ahead_of_the_clock() -> None:
    before = int(time.time() * 1000)
    ids = [new_id() for _ in range(50_000)]
    after = int(time.time() * 1000)
    assert ids == sorted(ids)
    assert before <= id_timestamp_ms(ids[0]) <= id_timestamp_ms(ids[-1]) <= after


def test_variant_and_version_bits() -> None:
    value = new_id()
    assert value.variant == uuid.RFC_4122
    assert value.version == 7
