"""Replies from sandboxed processes are read as data only: a query worker or a parsing
job taken over by its input cannot run code in the server through its pipe back.

A forged reply here is a pickle that, read by ``pickle.loads``, creates a file: the
tests show that it would, then that the server refuses it and the file never appears."""

import os
import pickle
import threading
from multiprocessing import Pipe

import pyoxigraph as ox
import pytest

from caonto import formats
from caonto.contrib import isolated
from caonto.engine.interface import DatasetChoice, EvaluationError
from caonto.engine.pool import PUBLIC, QueryEngine
from caonto.replies import BadReply, loads


class _Payload:
    """Unpickles as ``open(path, "w")``: a call the server must never make for a worker."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return open, (self.path, "w")


def _forged(path) -> bytes:
    return pickle.dumps(("ok", "select", _Payload(path), "json", False, 1))


def test_plain_values_and_rdf_terms_come_through_unchanged():
    reply = ("rows", ["s", "o"], [
        (ox.NamedNode("urn:x:s"), ox.Literal("1", datatype=ox.NamedNode(
            "http://www.w3.org/2001/XMLSchema#integer"))),
        (ox.BlankNode("b1"), ox.Literal("ада", language="kk")),
        (ox.Triple(ox.NamedNode("urn:x:s"), ox.NamedNode("urn:x:p"), ox.Literal("x")), None),
    ], {"bytes": b"\x00\xff", "flags": [True, 1.5, -2]})
    assert loads(pickle.dumps(reply, pickle.HIGHEST_PROTOCOL)) == reply


def test_a_pickle_naming_any_other_callable_is_refused_before_it_runs(tmp_path):
    control, marker = tmp_path / "control", tmp_path / "marker"
    pickle.loads(_forged(control))[2].close()
    assert control.exists()  # the payload is real: plain pickle.loads runs it
    with pytest.raises(BadReply, match=r"io\.open"):
        loads(_forged(marker))
    assert not marker.exists()
    for name in ("os.system", "pyoxigraph.Store", "pyoxigraph.parse"):
        module, _, attribute = name.rpartition(".")
        forged = b"\x80\x04\x8c" + bytes([len(module)]) + module.encode() + b"\x8c" \
            + bytes([len(attribute)]) + attribute.encode() + b"\x93."
        with pytest.raises(BadReply, match=name):
            loads(forged)


@pytest.mark.parametrize("torn", [b"", b"\x80\x05", b"not a pickle", _forged("x")[:-3]])
def test_a_torn_reply_is_refused_with_one_error(torn):
    with pytest.raises(BadReply):
        loads(torn)


@pytest.fixture()
def dataset(tmp_path):
    path = tmp_path / "base.nq"
    path.write_text('<urn:x:s> <urn:x:p> "0" <urn:g:base> .\n')
    return path


def test_a_query_worker_sending_a_forged_reply_is_replaced_and_its_reply_unread(dataset,
                                                                                 tmp_path):
    marker = tmp_path / "marker"
    with QueryEngine(dataset, workers=1) as engine:
        worker = engine._idle[PUBLIC].get()
        server_end, taken_over = Pipe()
        worker.conn = server_end  # the test now speaks for the worker

        def answer_forged():
            taken_over.recv_bytes()
            taken_over.send_bytes(_forged(marker))

        speaker = threading.Thread(target=answer_forged)
        speaker.start()
        engine._idle[PUBLIC].put(worker)
        with pytest.raises(EvaluationError, match="malformed reply"):
            engine.query("ASK {}", DatasetChoice(), formats.BY_NAME["json"], None)
        speaker.join()
        assert not marker.exists()
        assert engine.respawns == 1
        answer = engine.query("ASK { ?s ?p ?o }", DatasetChoice(), formats.BY_NAME["json"],
                              None)  # served by the worker that replaced it
        assert b"true" in answer.body
        assert worker.process.poll() is not None  # the taken-over worker was killed


def test_a_job_sending_a_forged_reply_fails_with_400_and_its_reply_unread(tmp_path,
                                                                          monkeypatch):
    marker = tmp_path / "marker"
    runner = isolated.Jobs(isolated.Limits(timeout=30))
    server_end, taken_over = Pipe()
    monkeypatch.setattr(runner, "_fork", lambda: (server_end, -1))

    def answer_forged():
        taken_over.recv()
        taken_over.send_bytes(_forged(marker))

    speaker = threading.Thread(target=answer_forged)
    speaker.start()
    try:
        with pytest.raises(isolated.JobFailed) as failure:
            runner.run("parse", (b"<urn:x:s> <urn:x:p> 1 .", "nt", None))
    finally:
        speaker.join()
        runner.close()
    assert failure.value.status == 400
    assert "misbehave" in failure.value.message
    assert not marker.exists()
    assert os.listdir(tmp_path) == []
