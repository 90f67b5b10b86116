"""The engine the settings ask for: a remote store (CAONTO_STORE) or the local pool."""

from pathlib import Path

from caonto.config import Settings
from caonto.engine.interface import Engine
from caonto.engine.pool import QueryEngine, default_workers
from caonto.engine.remote import engine_from_settings

# Measured (benchmarks/scale-results.md): a worker peaks at about 4.2x the N-Quads file
# size while it loads, the server process at ~150 MB.
_WORKER_PEAK_PER_FILE_BYTE = 4.2
_SERVER_MB = 150


def disk_store_threshold_mb(memory_mb: float, workers: int) -> float:
    """The N-Quads file size (MB) above which CAONTO_DISK_STORE=auto picks the shared
    on-disk store: where a copy per worker would no longer fit in ``memory_mb``."""
    return (memory_mb - _SERVER_MB) / (workers * _WORKER_PEAK_PER_FILE_BYTE)


def use_disk_store(settings: Settings, nquads: Path, workers: int) -> bool:
    """CAONTO_DISK_STORE on/off, or auto: on when a copy per worker would not fit in
    CAONTO_MEMORY_MB. The shared on-disk store costs far less memory but answers joins
    several times slower."""
    if settings.disk_store != "auto":
        return settings.disk_store == "on"
    size_mb = Path(nquads).stat().st_size / 2**20
    # every query worker and every page worker holds a copy
    return size_mb > disk_store_threshold_mb(settings.memory_mb, workers + settings.page_workers)


def open_engine(settings: Settings, nquads: Path) -> Engine:
    """Start the engine. Raises EvaluationError when the data cannot be loaded and
    RemoteError when the remote store cannot be reached."""
    if settings.store:
        return engine_from_settings(settings)
    workers = settings.workers or default_workers()
    return QueryEngine(nquads, workers=workers, timeout=settings.query_timeout,
                       max_rows=settings.max_rows, allowlist=settings.allowlist,
                       worker_memory_mb=settings.worker_memory_mb,
                       cache_bytes=settings.cache_bytes,
                       disk_store=use_disk_store(settings, nquads, workers),
                       page_workers=settings.page_workers, queue_wait=settings.queue_wait,
                       max_bytes=settings.max_answer_bytes, sandbox=settings.sandbox == "on")
