"""What sandboxed processes send back to the server, read as data only.

Query workers and the children that parse contributions read hostile input with parsers
caonto does not own. Should one of them be taken over through a parser bug, the pipe
back to the server is its way out of the sandbox: an ordinary ``pickle.loads`` of its
reply would run whatever callable the pickle names, in the server, which has the
network and the disk. :func:`receive` reads a reply that may hold only plain values
(tuples, lists, dicts, str, bytes, numbers, booleans, None) and pyoxigraph's RDF terms,
whose constructors only check and store strings; a pickle naming anything else is
refused before any of it is built.
"""

import io
import pickle
from multiprocessing.connection import Connection

# pyoxigraph's terms pickle as a call of their own class with strings (or other terms)
RDF_TERMS = frozenset({"NamedNode", "BlankNode", "Literal", "Triple"})


class BadReply(Exception):
    """A reply that is not a well-formed pickle of plain values and RDF terms."""


class _DataOnly(pickle.Unpickler):
    def find_class(self, module: str, name: str):
        if module == "pyoxigraph" and name in RDF_TERMS:
            return super().find_class(module, name)
        raise BadReply(f"it names {module}.{name}; only plain values and RDF terms are "
                       "accepted")


def loads(data: bytes):
    """The value pickled in ``data``; BadReply when it names anything but an RDF term, or
    is not a pickle at all."""
    try:
        return _DataOnly(io.BytesIO(data)).load()
    except BadReply:
        raise
    except Exception as error:  # a torn or forged pickle fails in many ways: one answer
        raise BadReply(f"it is not a well-formed pickle ({type(error).__name__})") from None


def receive(conn: Connection):
    """The next reply on ``conn``, read as :func:`loads` does. Raises EOFError or OSError
    as ``Connection.recv`` does, BadReply for anything but plain data."""
    return loads(conn.recv_bytes())
