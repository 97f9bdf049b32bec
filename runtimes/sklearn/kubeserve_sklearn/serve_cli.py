"""`serve`: listen at once, load in the background, drain on SIGTERM; --workers forks processes."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import sys
import tempfile
import time
from typing import Any

from .config import Config, ConfigError, format_help, load_config
from .logs import Logger

EXIT_LOAD_FAILED = 1
EXIT_CONFIG = 2


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def _announce(logger: Logger, sock: socket.socket, host: str) -> None:
    port = sock.getsockname()[1]
    shown = "127.0.0.1" if host in ("0.0.0.0", "") else host
    logger.info("listening", host=host, port=port, url=f"http://{shown}:{port}")


def _serve_worker(config: Config, sock: socket.socket, logger: Logger, is_first: bool = True) -> int:
    """One server process: uvicorn on the shared socket, the model loaded in a thread.

    Only the first worker accepts connections before its model is ready (liveness answers at once);
    the others load first, so a request never reaches a worker that is still loading while a ready
    one answers readiness.
    """
    import uvicorn

    from .app import State, create_app
    from .batcher import Batcher
    from .metrics import Metrics
    from .model_runtime import ModelLoadError, load_model

    metrics = Metrics(config.name, config.version, config.deployment)
    state = State(config.name, config.version, metrics, config.auth_token, config.max_body_bytes, config.public_health)
    app = create_app(state)
    exit_code = {"value": 0}
    preloaded = None
    if not is_first:
        try:
            preloaded = load_model(config)
        except Exception as error:  # noqa: BLE001 - ModelLoadError, or anything the load raised
            logger.error("model failed to load", error=_describe_failure(error, ModelLoadError))
            return EXIT_LOAD_FAILED

    class Server(uvicorn.Server):
        def install_signal_handlers(self) -> None:
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(sig, self.drain, sig)
            loop.create_task(self.load())

        def drain(self, sig: int) -> None:
            if state.is_draining:
                return
            logger.info("shutting down", signal=signal.Signals(sig).name)
            state.is_draining = True
            metrics.ready.set(0)
            self.should_exit = True
            asyncio.get_running_loop().call_later(config.shutdown_timeout_ms / 1000.0, self.force)

        def force(self) -> None:
            logger.warn("shutdown timeout: closing the remaining connections")
            self.force_exit = True

        async def load(self) -> None:
            loop = asyncio.get_running_loop()
            try:
                model = preloaded or await loop.run_in_executor(None, load_model, config)
            except Exception as error:  # noqa: BLE001 - ModelLoadError, or anything the load raised
                logger.error("model failed to load", error=_describe_failure(error, ModelLoadError))
                exit_code["value"] = EXIT_LOAD_FAILED
                self.should_exit = True
                return
            batcher = Batcher(
                model.run,
                metrics,
                config.batching != "off",
                config.max_batch_size,
                config.max_queue_delay_ms,
                config.max_queue_size,
                config.max_queue_bytes,
            )
            state.set_loaded(model, batcher)
            metrics.model_load.set(model.load_seconds)
            if not state.is_draining:
                metrics.ready.set(1)
            for warning in _version_warnings(model):
                logger.warn(warning)
            logger.info("model ready", seconds=round(model.load_seconds, 3), estimator=model.info.estimator)

    uv_config = uvicorn.Config(
        app,
        loop="uvloop",
        http="httptools",
        lifespan="off",
        log_config=None,
        access_log=False,
        log_level="warning",
        timeout_keep_alive=75,
    )
    Server(uv_config).run(sockets=[sock])
    return exit_code["value"]


def _describe_failure(error: Exception, expected: type) -> str:
    return str(error) if isinstance(error, expected) else f"{type(error).__name__}: {error}"


def _die_with_parent() -> None:
    """Linux: a worker gets SIGTERM when the supervisor dies, even by SIGKILL (no orphans)."""
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _version_warnings(model: Any) -> list[str]:
    saved = model.saved_sklearn_versions
    runtime = model.info.runtime_sklearn_version
    return [f"the model was saved with scikit-learn {v}, the runtime has {runtime}" for v in saved if v != runtime]


def _forget_worker_metrics(pid: int, metrics_dir: str) -> None:
    """A dead worker's live gauges (in flight, ready) must not count at the next scrape."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(pid, metrics_dir)


def _supervise(config: Config, sock: socket.socket, logger: Logger) -> int:
    """--workers N: fork N servers on the shared socket; their metrics add up (multiprocess dir)."""
    metrics_dir = tempfile.mkdtemp(prefix="kubeserve-sklearn-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir
    children: dict[int, int] = {}
    parent = os.getpid()
    for index in range(config.workers):
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
                _die_with_parent()
                if os.getppid() != parent:
                    os._exit(code)
                code = _serve_worker(config, sock, logger.child(worker=index), is_first=index == 0)
            finally:
                os._exit(code)
        children[pid] = index
    is_stopping = {"value": False}

    def stop(sig: int, _frame: Any) -> None:
        is_stopping["value"] = True
        for pid in list(children):
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    sock.close()
    code = 0
    while children:
        try:
            pid, status = os.wait()
        except ChildProcessError:
            break
        children.pop(pid, None)
        _forget_worker_metrics(pid, metrics_dir)
        child_code = os.waitstatus_to_exitcode(status)
        if child_code != 0 and not is_stopping["value"]:
            logger.error("worker exited; stopping the others", pid=pid, code=child_code)
            code = EXIT_LOAD_FAILED
            stop(signal.SIGTERM, None)
        elif child_code not in (0, -signal.SIGTERM):
            code = code or EXIT_LOAD_FAILED
    shutil.rmtree(metrics_dir, ignore_errors=True)
    return code


def run_serve(argv: list[str]) -> int:
    try:
        config = load_config(argv)
    except ConfigError as error:
        print(f"kubeserve_sklearn: {error}", file=sys.stderr)
        return EXIT_CONFIG
    if config == "help":
        print(format_help())
        return 0
    assert isinstance(config, Config)
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    logger = Logger(config.log_level, name="kubeserve-sklearn", model=config.name)
    try:
        sock = _bind(config.host, config.port)
    except OSError as error:
        print(f"kubeserve_sklearn: cannot listen on {config.host}:{config.port}: {error}", file=sys.stderr)
        return EXIT_LOAD_FAILED
    _announce(logger, sock, config.host)
    started = time.perf_counter()
    if config.workers == 1:
        code = _serve_worker(config, sock, logger)
    else:
        code = _supervise(config, sock, logger)
    logger.info("stopped", code=code, seconds=round(time.perf_counter() - started, 3))
    return code
