"""``procrun --cluster ENGINE``: the script's pools and process executors run on Ray or Dask.

WORK IN PROGRESS (branch cluster-wip, issue 7): Pool and ProcessPoolExecutor on both engines,
local notices for what stays local, one-line errors. Not yet: README, bench, the
example-script comparison, CI extras.

What runs on the cluster: ``multiprocessing.Pool`` (so ``processing.Pool`` too) and
``concurrent.futures.ProcessPoolExecutor``. Functions defined in the script are pickled by
value by the engines' cloudpickle, globals they read included, at submission: the
launcher's "globals as fork has them" holds on the cluster. What cannot run there
(``Process``, ``Queue``, ``Manager``, shared memory) runs locally, with one notice a kind.
"""

from __future__ import annotations

import atexit
import os
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, Future
from typing import Any

ENGINES = ("ray", "dask")
#: Seconds to reach a cluster address before giving up.
CONNECT_TIMEOUT = 20


class ClusterError(Exception):
    """A --cluster that cannot be used: a one-line message (exit status 2)."""


def parse(value: str) -> tuple[str, str | None]:
    """``ray``, ``ray://HOST:PORT``, ``dask``, ``dask://HOST:PORT`` -> (engine, address)."""
    engine, separator, rest = value.partition("://")
    if engine not in ENGINES or (separator and not rest):
        raise ClusterError(
            f"invalid --cluster {value!r}: use ray, ray://HOST:PORT, dask or dask://HOST:PORT"
        )
    if not separator and engine == "ray":
        return engine, os.environ.get("RAY_ADDRESS") or None
    return engine, (f"ray://{rest}" if engine == "ray" else f"tcp://{rest}") if rest else None


class _Engine:
    """Starts (or joins) the cluster at first use; runs a function on it as a Future."""

    def __init__(self, engine: str, address: str | None) -> None:
        self.engine = engine
        self.address = address
        self.client: Any = None
        self.cluster: Any = None
        self.executor: Any = None
        self.started = False
        #: True while the engine starts its own local processes (no notices for those)
        self.starting = False

    def start(self) -> None:
        if self.started:
            return
        self.started = True
        self.starting = True
        atexit.register(self.stop)
        try:
            if self.address is not None:
                self._probe(self.address)
            if self.engine == "ray":
                import ray

                ray.init(address=self.address, log_to_driver=True, include_dashboard=False)
            else:
                from dask.distributed import Client, LocalCluster

                if self.address is None:
                    self.cluster = LocalCluster(
                        processes=True, threads_per_worker=1, dashboard_address=None
                    )
                    self.client = Client(self.cluster)
                else:
                    self.client = Client(self.address, timeout=f"{CONNECT_TIMEOUT}s")
        except Exception as error:
            where = self.address or "a local instance"
            raise ClusterError(
                f"cannot reach the {self.engine} cluster at {where}: "
                f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"
            ) from None
        finally:
            self.starting = False

    @staticmethod
    def _probe(address: str) -> None:
        """Fail fast, in CONNECT_TIMEOUT, when nothing listens at ``address`` (the engines'
        own clients retry for longer)."""
        import socket

        host, _, port = address.partition("://")[2].rpartition(":")
        with socket.create_connection((host.strip("[]"), int(port)), timeout=CONNECT_TIMEOUT):
            pass

    def submit(self, function: Callable[..., Any], *args: Any, **kwargs: Any) -> Future[Any]:
        self.start()
        if self.engine == "ray":
            import ray

            remote = ray.remote(function).options(max_retries=0)
            return remote.remote(*args, **kwargs).future()  # type: ignore[no-any-return]
        if self.executor is None:
            self.executor = self.client.get_executor()  # concurrent.futures.Future results
        return self.executor.submit(function, *args, **kwargs)  # type: ignore[no-any-return]

    def workers(self) -> int:
        self.start()
        if self.engine == "ray":
            import ray

            return int(ray.cluster_resources().get("CPU", 1))
        return max(1, len(self.client.scheduler_info().get("workers", {})))

    def stop(self) -> None:
        try:
            if self.engine == "ray":
                import ray

                if ray.is_initialized():
                    ray.shutdown()
            else:
                if self.client is not None:
                    self.client.close()
                if self.cluster is not None:
                    self.cluster.close()
        except Exception:
            pass


_engine: _Engine | None = None


def _result(future: Any) -> Any:
    return future.result()


class ClusterAsyncResult:
    """Pool's AsyncResult over a cluster future: get(), wait(), ready(), successful()."""

    def __init__(
        self,
        futures: list[Any],
        single: bool,
        callback: Callable[[Any], Any] | None,
        error_callback: Callable[[BaseException], Any] | None,
    ) -> None:
        self._futures = futures
        self._single = single
        self._callback = callback
        self._error_callback = error_callback
        self._value: Any = None
        self._done = False
        self._error: BaseException | None = None
        self._lock = threading.Lock()

    def _finish(self, timeout: float | None = None) -> None:
        with self._lock:
            self._finish_once(timeout)

    def _finish_once(self, timeout: float | None) -> None:
        if self._done:
            if self._error is not None:
                raise self._error
            return
        try:
            values = [future.result(timeout) for future in self._futures]
        except BaseException as error:
            self._done = True
            self._error = error
            if self._error_callback is not None:
                self._error_callback(error)
            raise
        self._value = values[0] if self._single else values
        self._done = True
        if self._callback is not None:
            self._callback(self._value)

    def get(self, timeout: float | None = None) -> Any:
        self._finish(timeout)
        return self._value

    def wait(self, timeout: float | None = None) -> None:
        try:
            self._finish(timeout)
        except BaseException:
            pass

    def ready(self) -> bool:
        return all(future.done() for future in self._futures)

    def successful(self) -> bool:
        if not self.ready():
            raise ValueError("the result is not ready")
        return all(future.exception() is None for future in self._futures)


def _star(function: Callable[..., Any], args: tuple[Any, ...]) -> Any:
    return function(*args)


class ClusterPool:
    """multiprocessing.Pool's interface, each task a task of the cluster."""

    def __init__(
        self,
        processes: int | None = None,
        initializer: Callable[..., Any] | None = None,
        initargs: Iterable[Any] = (),
        *args: Any,
        **kwargs: Any,
    ) -> None:
        assert _engine is not None
        self._engine = _engine
        self._engine.start()
        self._initializer = initializer
        self._initargs = tuple(initargs)
        self._closed = False

    def _submit(self, function: Callable[..., Any], *args: Any) -> Any:
        if self._closed:
            raise ValueError("Pool not running")
        return self._engine.submit(function, *args)

    def apply(self, func: Callable[..., Any], args: Iterable[Any] = (), kwds: Any = None) -> Any:
        return self.apply_async(func, args, kwds).get()

    def apply_async(
        self,
        func: Callable[..., Any],
        args: Iterable[Any] = (),
        kwds: Any = None,
        callback: Callable[[Any], Any] | None = None,
        error_callback: Callable[[BaseException], Any] | None = None,
    ) -> ClusterAsyncResult:
        if self._closed:
            raise ValueError("Pool not running")
        future = self._engine.submit(func, *tuple(args), **(kwds or {}))
        result = ClusterAsyncResult([future], True, callback, error_callback)
        if callback is not None or error_callback is not None:
            future.add_done_callback(lambda _: result.wait())
        return result

    def map(self, func: Callable[..., Any], iterable: Iterable[Any], chunksize: Any = None) -> list[Any]:
        return [_result(f) for f in [self._submit(func, item) for item in iterable]]

    def map_async(
        self,
        func: Callable[..., Any],
        iterable: Iterable[Any],
        chunksize: Any = None,
        callback: Callable[[Any], Any] | None = None,
        error_callback: Callable[[BaseException], Any] | None = None,
    ) -> ClusterAsyncResult:
        futures = [self._submit(func, item) for item in iterable]
        return ClusterAsyncResult(futures, False, callback, error_callback)

    def starmap(
        self, func: Callable[..., Any], iterable: Iterable[Iterable[Any]], chunksize: Any = None
    ) -> list[Any]:
        return [_result(f) for f in [self._submit(_star, func, tuple(a)) for a in iterable]]

    def imap(self, func: Callable[..., Any], iterable: Iterable[Any], chunksize: int = 1) -> Iterator[Any]:
        futures = [self._submit(func, item) for item in iterable]
        return (future.result() for future in futures)

    def imap_unordered(
        self, func: Callable[..., Any], iterable: Iterable[Any], chunksize: int = 1
    ) -> Iterator[Any]:
        from concurrent.futures import as_completed

        futures = [self._submit(func, item) for item in iterable]
        return (future.result() for future in as_completed(futures))

    def close(self) -> None:
        self._closed = True

    def terminate(self) -> None:
        self._closed = True

    def join(self) -> None:
        pass

    def __enter__(self) -> ClusterPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.terminate()


class ClusterExecutor(Executor):
    """concurrent.futures.ProcessPoolExecutor's interface on the cluster."""

    def __init__(self, max_workers: int | None = None, *args: Any, **kwargs: Any) -> None:
        assert _engine is not None
        self._engine = _engine
        self._engine.start()

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        return self._engine.submit(fn, *args, **kwargs)


_noticed: set[str] = set()


def _notice(kind: str) -> None:
    if kind in _noticed or _engine is None or _engine.starting:
        return
    _noticed.add(kind)
    assert _engine is not None
    sys.stderr.write(
        f"procrun: --cluster {_engine.engine}: {kind} runs locally (only pools and process "
        "executors run on the cluster)\n"
    )


def install(engine: str, address: str | None) -> None:
    """Serve pools and process executors from ``engine``; check the engine is installed."""
    global _engine
    try:
        __import__("ray" if engine == "ray" else "dask.distributed")
    except ImportError:
        raise ClusterError(
            f"--cluster {engine} needs {'Ray' if engine == 'ray' else 'Dask'}: "
            f"{sys.executable} -m pip install 'procrun[{engine}]'"
        ) from None
    _engine = _Engine(engine, address)
    if address is not None:
        _engine.start()  # an unreachable address fails now, in one line
    import concurrent.futures
    import concurrent.futures.process
    import multiprocessing
    from multiprocessing import context, process

    def pool(self: Any, processes: int | None = None, *args: Any, **kwargs: Any) -> ClusterPool:
        return ClusterPool(processes, *args, **kwargs)

    context.BaseContext.Pool = pool  # type: ignore[method-assign, assignment]
    concurrent.futures.ProcessPoolExecutor = ClusterExecutor  # type: ignore[misc, assignment]
    concurrent.futures.process.ProcessPoolExecutor = ClusterExecutor  # type: ignore[misc, assignment]
    start = process.BaseProcess.start

    def local_start(self: Any) -> None:
        _notice("Process")
        start(self)

    process.BaseProcess.start = local_start  # type: ignore[method-assign]
    for name, kind in (
        ("Queue", "Queue"),
        ("JoinableQueue", "Queue"),
        ("SimpleQueue", "Queue"),
        ("Manager", "Manager"),
        ("Value", "shared memory"),
        ("Array", "shared memory"),
    ):
        original = getattr(context.BaseContext, name)

        def local(self: Any, *args: Any, _original: Any = original, _kind: str = kind, **kw: Any) -> Any:
            _notice(_kind)
            return _original(self, *args, **kw)

        setattr(context.BaseContext, name, local)
    # multiprocessing's module-level names are methods bound when it was imported: bind again.
    for name in ("Pool", "Queue", "JoinableQueue", "SimpleQueue", "Manager", "Value", "Array"):
        setattr(multiprocessing, name, getattr(context._default_context, name))
