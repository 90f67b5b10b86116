"""caonto: a linked-data knowledge graph of Central Asian international relations."""

__version__ = "0.1.0"
