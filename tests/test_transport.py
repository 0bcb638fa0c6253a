"""Between judge and worker: a frame carries plain data and tensors exactly as torch.save did,
describes what is not plain data, and refuses malformed frames; calls sent ahead are judged in
order, and one not needed is dropped without its reply reaching the next request."""

from __future__ import annotations

import io
import json
import math
import time

import pytest
import sympy
import torch

from grader.engine import timings
from grader.run import codec
from grader.run.limits import Limits
from grader.engine.outcome import Abort
from grader.run.sandbox import WorkerTarget


def through_torch_save(tensor: torch.Tensor) -> torch.Tensor:
    """The tensor as the judge read it before the raw frame: the worker's CPU copy, through
    ``torch.save`` and ``torch.load(weights_only=True)``."""
    buffer = io.BytesIO()
    torch.save(tensor.detach().cpu().clone(), buffer)
    return torch.load(io.BytesIO(buffer.getvalue()), weights_only=True)


TENSORS = [
    torch.randn(3, 4), torch.randn(3, 4).t(), torch.randn(3, 4)[:, ::2], torch.randn(2, 3, 4).permute(2, 0, 1),
    torch.randn(3).expand(2, 3), torch.tensor(3.5, dtype=torch.float64), torch.empty(0, 3), torch.ones(2, dtype=torch.bool),
    torch.randn(2, 2, dtype=torch.complex64), torch.randn(4).bfloat16(), torch.arange(5), torch.randn(2, 1, 3)[:, :, 1:],
]


@pytest.mark.parametrize("tensor", TENSORS, ids=lambda t: f"{t.dtype}{tuple(t.shape)}{t.stride()}")
def test_a_plain_tensor_travels_raw_and_arrives_as_through_torch_save(tensor: torch.Tensor) -> None:
    payload = codec.dumps(("outcome", tensor, [tensor], {"t": tensor}))
    assert payload.count(b'"~x"') == 3 and b'"~z"' not in payload
    for got in (codec.loads(payload)[1], codec.loads(payload)[2][0], codec.loads(payload)[3]["t"]):
        expected = through_torch_save(tensor)
        assert type(got) is torch.Tensor
        assert (got.dtype, got.shape, got.stride()) == (expected.dtype, expected.shape, expected.stride())
        assert torch.equal(got, expected)


def test_plain_data_keeps_its_types() -> None:
    value = ("call", 1, 2.5, float("inf"), -0.0, None, True, "x", [1, (2, 3)], {"k": [None]}, torch.Size([2, 3]), 10**30,
             {"~t": [1, 2]}, [{"~x": "not a tensor"}], "\udc80")
    got = codec.loads(codec.dumps(value))
    assert repr(got) == repr(value)
    assert [type(v) for v in got] == [type(v) for v in value]
    assert math.copysign(1.0, got[4]) == -1.0 and math.isnan(codec.loads(codec.dumps(float("nan"))))


def test_what_is_not_plain_data_is_described_not_sent() -> None:
    class Secret:
        pass

    x = sympy.Symbol("x")
    got = codec.loads(codec.dumps((Secret(), torch.nn.Parameter(torch.ones(1)), 2 * x + 1, {1: "int key"},
                                   [[[[[[[[[[1]]]]]]]]]])))
    assert isinstance(got[0], codec.Foreign) and "Secret" in got[0].description
    assert isinstance(got[1], codec.Foreign) and "Parameter" in got[1].description
    assert got[2] == 2 * x + 1
    assert isinstance(got[3], codec.Foreign) and got[3].description == "dict"
    deepest = got[4]
    while isinstance(deepest, list):
        deepest = deepest[0]
    assert isinstance(deepest, codec.Foreign)  # nested past MAX_DEPTH


def test_anything_else_goes_as_torch_save_bytes_read_with_weights_only() -> None:
    odd = torch.tensor([0.5, 1.0, -2.0]).to(torch.float8_e4m3fn)  # a dtype outside RAW_DTYPES
    payload = codec.dumps(("outcome", odd))
    assert b'"~z"' in payload and b'"~x"' not in payload
    got = codec.loads(payload)[1]
    assert got.dtype == odd.dtype and torch.equal(got.float(), odd.float())


def frame(tree: object, body: bytes = b"") -> bytes:
    header = json.dumps(tree).encode()
    return codec.MAGIC + len(header).to_bytes(8, "little") + header + body


class Pickled:
    def __reduce__(self) -> tuple:
        return (print, ("unpickled",))


def pickled() -> bytes:
    buffer = io.BytesIO()
    torch.save(Pickled(), buffer)
    return buffer.getvalue()


@pytest.mark.parametrize("tree,body", [
    ({"~x": ["float32", [2, 2], [2, 1], 0, 16, "cpu"]}, b"\0" * 8),  # fewer bytes than it claims
    ({"~x": ["float32", [2, 2], [2, 1], 0, 12, "cpu"]}, b"\0" * 16),  # bytes that do not match the shape
    ({"~x": ["float32", [2, 2], [4, 1], 0, 16, "cpu"]}, b"\0" * 16),  # strides that read past its bytes
    ({"~x": ["float32", [2, -2], [2, 1], 0, 16, "cpu"]}, b"\0" * 16),
    ({"~x": ["object", [1], [1], 0, 8, "cpu"]}, b"\0" * 8),
    ({"~x": [["float32"], [1], [1], 0, 4, "cpu"]}, b"\0" * 4),
    ({"~x": ["float32", [1], [1], -4, 4, "cpu"]}, b"\0" * 8),
    ({"~x": ["float32", [1], [1], 0, 4, 0]}, b"\0" * 4),  # a device that is not a name
    ({"~z": [0, len(pickled()), "cpu"]}, pickled()),  # weights_only refuses to build it
    ({"~z": [0, 4, "cpu"]}, b"\0" * 4),
    ({"~p": "os.system"}, b""),  # not a tag of ours
    ({"a": 1}, b""),  # a bare object: no dict travels untagged
    ({"~t": [], "~d": []}, b""),
    ({"~d": [[1, 2]]}, b""),  # keys are strings
    ({"~f": ["x"]}, b""),
    ([[[[[[[[[[[[[[1]]]]]]]]]]]]]], b""),  # deeper than any message
])
def test_a_malformed_frame_is_refused(tree: object, body: bytes) -> None:
    with pytest.raises(ValueError):
        codec.loads(frame(tree, body))


def test_bytes_that_are_no_frame_are_refused() -> None:
    for payload in (b"", b"\x80\x04K\x01.", codec.MAGIC + (10**6).to_bytes(8, "little") + b"[]"):
        with pytest.raises(ValueError):
            codec.loads(payload)


MODULE = {"m.py": "import time\n\ndef echo(x):\n    if x == 'hang':\n        time.sleep(60)\n    return x\n"}


def outcomes(target: WorkerTarget, values: list) -> list:
    return [target.submit("m", "echo", (v,), {}, forbidden=None) for v in values]


def test_calls_sent_ahead_come_back_in_order() -> None:
    with WorkerTarget(MODULE, Limits()) as target:
        pending = outcomes(target, list(range(6)))
        assert [outcome().value for outcome in pending] == list(range(6))


def test_a_call_sent_ahead_and_not_needed_is_dropped() -> None:
    with WorkerTarget(MODULE, Limits()) as target:
        first, *unneeded = outcomes(target, ["a", "b", "c"])
        assert first().value == "a"
        assert target.call("m", "echo", ("d",), {}, forbidden=None).value == "d"


def test_a_call_sent_ahead_that_hangs_unneeded_costs_only_its_worker() -> None:
    with WorkerTarget(MODULE, Limits(call_seconds=1, exercise_seconds=20)) as target:
        first, _ = outcomes(target, ["a", "hang"])
        assert first().value == "a"
        assert target.call("m", "echo", ("d",), {}, forbidden=None).value == "d"


def test_a_call_sent_ahead_that_hangs_is_a_timeout_when_judged() -> None:
    with WorkerTarget(MODULE, Limits(call_seconds=1, exercise_seconds=20)) as target:
        first, hang, after = outcomes(target, ["a", "hang", "b"])
        assert first().value == "a"
        start = time.monotonic()
        with pytest.raises(Abort) as aborted:
            hang()
        assert aborted.value.failure.status == "timeout" and time.monotonic() - start < 10


def test_a_round_trip_is_split_into_the_students_time_and_transport() -> None:
    with WorkerTarget(MODULE, Limits()) as target:
        target.presence("m", "echo")
        timings.take(0.0)
        start = time.perf_counter()
        target.call("m", "echo", (1,), {}, forbidden=None)
        total = time.perf_counter() - start
        spent = timings.take(total)
    assert set(spent) == set(timings.BUCKETS)
    assert spent[timings.TRANSPORT] >= 0 and spent[timings.STUDENT] >= 0  # the judge's wait, split
    assert 0 < spent[timings.TRANSPORT] + spent[timings.STUDENT] <= total
    assert sum(spent.values()) == pytest.approx(total)  # the rest of the judge's time is judging
    assert sum(timings.take(1.0).values()) == pytest.approx(1.0), "the counts start again"
