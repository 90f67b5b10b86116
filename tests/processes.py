"""Stopping the server processes that tests and benchmarks start."""

import subprocess


def stop_process(process: subprocess.Popen, grace: float = 20) -> None:
    """Ask a process to stop, and kill it if it has not within ``grace`` seconds."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
