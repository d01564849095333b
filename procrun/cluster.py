"""``procrun --cluster ENGINE``: the script's pools and process executors run on Ray or Dask.

What runs on the cluster: ``multiprocessing.Pool`` in each of its spellings (the context's,
``multiprocessing.pool.Pool``, ``processing.Pool``) and
``concurrent.futures.ProcessPoolExecutor``. Both are served by one ``ClusterPool`` /
``ClusterExecutor`` over the engine's futures: Ray tasks (``ray.remote(f).remote().future()``)
or Dask futures (``Client.map``, a batch at a time). Functions defined in the script are
pickled by value by the engines' cloudpickle, the globals they read included: the launcher's
"globals as fork has them" holds on the cluster.

What cannot run there (``Process``, queues, ``Manager``, shared memory) runs locally, with one
notice a kind on stderr. This module is imported only under ``--cluster``.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, Future, as_completed
from concurrent.futures import wait as wait_for
from contextlib import contextmanager
from typing import Any

ENGINES = ("ray", "dask")
#: Seconds to reach a cluster address before giving up (the issue allows 30 in all).
CONNECT_TIMEOUT = 10
#: What a notice says runs on the cluster.
ON_THE_CLUSTER = "only pools and process executors run on the cluster"
#: The engine's stop among multiprocessing's exit finalizers: after local pools' (15), before
#: managers' (0).
STOP_PRIORITY = 10
#: Seconds the engine's stop may take when procrun ends on SIGTERM (Ray's shutdown took 8 s
#: once a group SIGTERM had killed its raylet; only that shutdown ends its task workers).
STOP_TIMEOUT = 20.0


class ClusterError(Exception):
    """A --cluster that cannot be used: a one-line message (exit status 2)."""


def parse(value: str) -> tuple[str, str | None]:
    """``ray``, ``ray://HOST:PORT``, ``dask``, ``dask://HOST:PORT`` -> (engine, address);
    plain ``ray`` joins ``RAY_ADDRESS`` when it is set, as Ray itself does."""
    engine, separator, rest = value.partition("://")
    if engine not in ENGINES or (separator and not _host_port(rest)):
        raise ClusterError(
            f"invalid --cluster {value!r}: use ray, ray://HOST:PORT, dask or dask://HOST:PORT"
        )
    if not separator:
        return engine, (os.environ.get("RAY_ADDRESS") or None) if engine == "ray" else None
    return engine, f"ray://{rest}" if engine == "ray" else f"tcp://{rest}"


def _host_port(text: str) -> tuple[str, int] | None:
    """``HOST:PORT`` (after any ``scheme://``) -> (host, port); None if it is not one."""
    host, _, port = text.rpartition("://")[2].rpartition(":")
    if not host or not port.isdigit():
        return None
    return host.strip("[]"), int(port)


class _Engine:
    """Starts (or joins) the cluster at first use; runs functions on it as Futures."""

    def __init__(self, engine: str, address: str | None) -> None:
        self.engine = engine
        self.address = address
        self.client: Any = None
        self.cluster: Any = None
        self.started = False
        self.stopped = False
        #: True while the engine starts or stops its own local processes (no notices then)
        self.busy = False

    def start(self) -> None:
        if self.started:
            return
        self.started = True
        self.busy = True
        # A multiprocessing finalizer, not atexit: procrun's SIGTERM handler runs those too
        # (after the local pools', before it ends the children), so the engine stops then.
        from multiprocessing import util

        util.Finalize(self, self.stop, exitpriority=STOP_PRIORITY)
        from procrun import termination

        termination.allow_more_time(STOP_TIMEOUT)
        try:
            if self.address is not None:
                self._probe(self.address)
            if self.engine == "ray":
                import ray

                # The driver's log at ERROR: no "Started a local Ray instance" lines on stderr.
                # Not log_to_driver: tasks bring what they print back with their results,
                # unprefixed and not lost when the script ends at once (Ray's log stream is
                # asynchronous).
                with _signal_handlers_kept():
                    ray.init(
                        address=self.address,
                        include_dashboard=False,
                        logging_level=logging.ERROR,
                        log_to_driver=False,
                    )
            else:
                from dask.distributed import Client, LocalCluster

                if self.address is None:
                    # silence_logs: a task that raises reaches the caller, as with a local
                    # Pool, without a worker's "Compute Failed" log on stderr as well.
                    self.cluster = LocalCluster(
                        processes=True,
                        threads_per_worker=1,
                        dashboard_address=None,
                        silence_logs=logging.CRITICAL,
                    )
                    self.client = Client(self.cluster)
                else:
                    self.client = Client(self.address, timeout=f"{CONNECT_TIMEOUT}s")
        except Exception as error:
            message = str(error).strip().splitlines()
            what = (
                f"cannot reach the {self.engine} cluster at {self.address}"
                if self.address is not None
                else f"cannot start a local {self.engine} cluster"
            )
            raise ClusterError(
                f"{what}: {type(error).__name__}{': ' + message[0] if message else ''}"
            ) from None
        finally:
            self.busy = False

    @staticmethod
    def _probe(address: str) -> None:
        """Fail fast, in CONNECT_TIMEOUT, when nothing listens at ``address`` (the engines'
        own clients retry for longer)."""
        import socket

        host_port = _host_port(address)
        if host_port is not None:  # not RAY_ADDRESS=auto, say
            with socket.create_connection(host_port, timeout=CONNECT_TIMEOUT):
                pass

    def remote(self, function: Callable[..., Any]) -> _Remote:
        """``function`` on the cluster: the engine pickles it by value when it is first sent,
        with the globals it reads."""
        self.start()
        return _Remote(self, function)

    def workers(self) -> int:
        """The cluster's CPUs (Ray) or worker threads (Dask) now: what a Pool's default chunk
        size divides the items among."""
        self.start()
        if self.engine == "ray":
            import ray

            return int(ray.cluster_resources().get("CPU", 1))
        return max(1, sum(self.client.nthreads().values()))

    def stop(self) -> None:
        if self.stopped:
            return
        self.stopped = True
        self.busy = True
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
            pass  # at exit, with the script's output already written


class _Remote:
    """A function on the cluster: ``call`` runs one task, ``many`` a batch of them (in one
    message to Dask's scheduler: client.map's per-task cost is about 60% of client.submit's)."""

    def __init__(self, engine: _Engine, function: Callable[..., Any]) -> None:
        self._task = _calling(function)  # a plain function for Ray; no keywords for Dask
        self._client = engine.client
        if engine.engine == "ray":
            import ray

            self._on_ray = ray.remote(self._task).options(max_retries=0)

    def call(self, *args: Any, **kwargs: Any) -> Future[Any]:
        return self.many([args], kwargs)[0]

    def many(
        self, calls: list[tuple[Any, ...]], kwargs: dict[str, Any] | None = None
    ) -> list[Future[Any]]:
        kwargs = kwargs or {}
        if self._client is None:  # Ray
            return [_settled_by_ray(self._on_ray.remote(args, kwargs).future()) for args in calls]
        # Pickled here, the arguments are bytes to Dask: it neither walks them (every item of
        # every chunk) for futures and tasks, nor (before 2024.12) runs a tuple that starts
        # with a callable as a task of its own.
        import cloudpickle

        packed = [cloudpickle.dumps((args, kwargs)) for args in calls]
        return _settled_by_dask(self._client.map(self._task, packed, pure=False))


@contextmanager
def _signal_handlers_kept() -> Iterator[None]:
    """Put back the SIGTERM and SIGINT handlers (procrun's: stop the pools, end the children,
    exit as python would) that Ray's core worker replaces with its own, which print a C
    stack and exit with status 15."""
    import signal

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    kept = {number: signal.getsignal(number) for number in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for number, handler in kept.items():
            if handler is not None:
                signal.signal(number, handler)


_engine: _Engine | None = None


#: The attributes on a task's exception that carry the worker's traceback and what the task
#: printed to the caller (spelled out in _calling, whose code runs on workers without procrun).
REMOTE_TRACEBACK = "_procrun_remote_traceback"
OUTPUT = "_procrun_output"


def _settle(future: Future[Any], error: BaseException | None, outcome: Any = None) -> None:
    """Give ``future`` the result of a task's ``outcome`` (see _calling), or its ``error``:
    the task's own exception, with the worker's traceback as its cause (a RemoteTraceback),
    as a local Pool gives it. What the task printed is printed here first."""
    if error is None:
        value, out, err = outcome
        _replay(out, err)
        future.set_result(value)
        return
    extra = vars(error) if hasattr(error, "__dict__") else {}
    _replay(*extra.pop(OUTPUT, ("", "")))
    text = extra.pop(REMOTE_TRACEBACK, None)
    if isinstance(text, str):
        from multiprocessing import pool

        remote = pool.RemoteTraceback  # type: ignore[attr-defined]  # (not in typeshed)
        error.__cause__ = remote(f'\n"""\n{text}"""')
        error.__traceback__ = None  # the engine's frames, and none of the worker's
    future.set_exception(error)


def _replay(out: str, err: str) -> None:
    """Print what a task printed, on the script's own streams."""
    for text, stream in ((out, sys.stdout), (err, sys.stderr)):
        if text and stream is not None:  # None: a windowed app's, which prints nothing
            stream.write(text)
            stream.flush()


def _settled_by_ray(ray_future: Future[Any]) -> Future[Any]:
    """A Future of a Ray task's, whose error is a KeyError, say, not RayTaskError(KeyError)."""
    import ray.exceptions

    future: Future[Any] = Future()

    def done(finished: Future[Any]) -> None:
        if finished.cancelled():
            future.cancel()
            return
        error = finished.exception()
        cause = getattr(error, "cause", None)
        if isinstance(error, ray.exceptions.RayTaskError) and isinstance(cause, BaseException):
            error = cause
        _settle(future, error, None if error else finished.result())

    ray_future.add_done_callback(done)
    return future


def _settled_by_dask(sent: list[Any]) -> list[Future[Any]]:
    """Futures of Dask's futures ``sent``, settled by one thread as they finish, results and
    all (a Dask future's own result() or done callback costs a hop to the client's loop
    each). The thread holds ``sent``: Dask forgets a task whose future nobody holds."""
    from dask.distributed import as_completed as dask_as_completed

    futures: list[Future[Any]] = [Future() for _ in sent]
    by_key = {dask_future.key: future for dask_future, future in zip(sent, futures, strict=True)}

    def settle() -> None:
        finished = dask_as_completed(sent, with_results=True, raise_errors=False)
        for dask_future, value in finished:
            future = by_key[dask_future.key]
            if dask_future.status == "cancelled":
                future.cancel()
            elif dask_future.status == "error":  # value: (type, exception, traceback)
                error = value[1] if isinstance(value, tuple) else value
                _settle(future, error if isinstance(error, BaseException) else RuntimeError(value))
            else:
                _settle(future, None, value)

    if sent:
        threading.Thread(target=settle, name="procrun-cluster-results", daemon=True).start()
    return futures


class ClusterAsyncResult:
    """Pool's AsyncResult over cluster futures: get(), wait(), ready(), successful()."""

    def __init__(
        self,
        futures: list[Future[Any]],
        shape: str,
        callback: Callable[[Any], Any] | None,
        error_callback: Callable[[BaseException], Any] | None,
    ) -> None:
        self._futures = futures
        self._shape = shape  # "one" future's value, or the values of futures of "chunks"
        self._callback = callback
        self._error_callback = error_callback
        self._value: Any = None
        self._error: BaseException | None = None
        self._done = threading.Event()
        if not futures:
            self._finish()
        else:
            remaining = [len(futures)]
            lock = threading.Lock()

            def one_done(_: Future[Any]) -> None:
                with lock:
                    remaining[0] -= 1
                    last = remaining[0] == 0
                if last:
                    self._finish()

            for future in futures:
                future.add_done_callback(one_done)

    def _finish(self) -> None:
        """All futures are done: keep the value or the first error; run the callback."""
        try:
            values = [future.result() for future in self._futures]
        except BaseException as error:
            self._error = error
            if self._error_callback is not None:
                self._error_callback(error)
        else:
            if self._shape == "one":
                self._value = values[0]
            else:
                self._value = [value for chunk in values for value in chunk]
            if self._callback is not None:
                self._callback(self._value)
        finally:
            self._done.set()

    def get(self, timeout: float | None = None) -> Any:
        self.wait(timeout)
        if not self._done.is_set():
            import multiprocessing

            raise multiprocessing.TimeoutError
        if self._error is not None:
            raise self._error.with_traceback(None)  # from here: none of the engine's frames
        return self._value

    def wait(self, timeout: float | None = None) -> None:
        self._done.wait(timeout)

    def ready(self) -> bool:
        return self._done.is_set()

    def successful(self) -> bool:
        if not self.ready():
            raise ValueError(f"{self!r} not ready")
        return self._error is None


def _calling(function: Callable[..., Any]) -> Callable[..., Any]:
    """A task calling ``function``: it returns ``(value, stdout, stderr)``, what the task
    printed travelling with its result (see _settle). An exception it raises takes the
    worker's traceback and output along. Nested, it is pickled by value with ``function``: a
    worker needs no procrun, and it imports only the standard library."""
    # Dask's cloudpickle names the script's functions' code "<dynamic-code>": name it again.
    script = getattr(sys.modules.get("__main__"), "__file__", None)

    def call(args: Any, kwargs: dict[str, Any] | None = None) -> Any:
        import io
        import sys

        if kwargs is None:  # from Dask: (args, kwargs) pickled, out of its graph's sight
            import pickle

            args, kwargs = pickle.loads(args)

        streams = sys.stdout, sys.stderr
        sys.stdout, sys.stderr = out, err = io.StringIO(), io.StringIO()
        try:
            return function(*args, **kwargs), out.getvalue(), err.getvalue()
        except BaseException as error:
            import traceback

            try:
                # The task's frames, not procrun's (a chunk's loop, an initializer's wrapper).
                frames = [
                    frame
                    for frame, (entry, _) in zip(
                        traceback.extract_tb(error.__traceback__),
                        traceback.walk_tb(error.__traceback__),
                        strict=True,
                    )
                    if entry.f_globals.get("__name__") != "procrun.cluster"
                ]
                for i, frame in enumerate(frames):
                    if frame.filename == "<dynamic-code>" and script:
                        frames[i] = traceback.FrameSummary(script, frame.lineno, frame.name)
                vars(error)["_procrun_remote_traceback"] = "".join(
                    [
                        "Traceback (most recent call last):\n",
                        *traceback.StackSummary.from_list(frames).format(),
                        *traceback.format_exception_only(type(error), error),
                    ]
                )
                vars(error)["_procrun_output"] = out.getvalue(), err.getvalue()
            except Exception:
                pass  # an exception that takes no attributes: no worker traceback
            raise
        finally:
            sys.stdout, sys.stderr = streams

    return call


def _each(function: Callable[..., Any], star: bool) -> Callable[[list[Any]], list[Any]]:
    """A task running ``function`` on each item of a chunk (``function(*item)`` if ``star``)."""

    def each(items: list[Any]) -> list[Any]:
        if star:
            return [function(*item) for item in items]
        return [function(item) for item in items]

    return each


def _with_initializer(
    initializer: Callable[..., Any], initargs: tuple[Any, ...], function: Callable[..., Any]
) -> Callable[..., Any]:
    """``function`` run after ``initializer(*initargs)``, pickled as one object so that the
    globals the initializer sets are the ones the function reads."""

    def initialized(*args: Any, **kwargs: Any) -> Any:
        initializer(*initargs)
        return function(*args, **kwargs)

    return initialized


class ClusterPool:
    """multiprocessing.Pool's interface, its tasks the cluster's tasks. A map sends its items
    in chunks, of ``chunksize`` or, by default, as Pool makes them (four a worker of the
    cluster). ``processes`` is the cluster's to decide and ``maxtasksperchild`` does not
    apply; an ``initializer`` runs before each task, pickled with the task's function, so
    that the globals it sets are the ones the function reads."""

    def __init__(
        self,
        processes: int | None = None,
        initializer: Callable[..., Any] | None = None,
        initargs: Iterable[Any] = (),
        maxtasksperchild: int | None = None,
        context: Any = None,
    ) -> None:
        if processes is not None and processes < 1:
            raise ValueError("Number of processes must be at least 1")
        if initializer is not None and not callable(initializer):
            raise TypeError("initializer must be a callable")
        assert _engine is not None, "procrun.cluster.install() first"
        self._engine = _engine
        self._workers = _engine.workers()  # starts the engine
        self._initializer = initializer
        self._initargs = tuple(initargs)
        self._closed = False
        self._remotes: dict[tuple[int, str], tuple[Callable[..., Any], _Remote]] = {}
        self._pending: set[Future[Any]] = set()
        self._lock = threading.Lock()

    def _remote(self, function: Callable[..., Any], shape: str = "call") -> _Remote:
        """``function`` on the cluster, called as it is (``call``) or on each item of a chunk
        (``each``, ``star``): sent once a pool, which keeps it alive."""
        with self._lock:
            if self._closed:
                raise ValueError("Pool not running")
            known = self._remotes.get((id(function), shape))
            if known is None:
                task = function if shape == "call" else _each(function, shape == "star")
                if self._initializer is not None:
                    task = _with_initializer(self._initializer, self._initargs, task)
                known = (function, self._engine.remote(task))
                self._remotes[id(function), shape] = known
        return known[1]

    def _submit(self, function: Callable[..., Any], *args: Any, **kwargs: Any) -> Future[Any]:
        return self._watch(self._remote(function).call(*args, **kwargs))[0]

    def _submit_chunks(
        self,
        function: Callable[..., Any],
        iterable: Iterable[Any],
        chunksize: int | None,
        star: bool = False,
    ) -> list[Future[Any]]:
        """``function`` on each item, in chunks, as one batch: a future a chunk, whose
        result is the chunk's list of results."""
        items = list(iterable)
        if chunksize is None:
            chunksize, extra = divmod(len(items), self._workers * 4)
            chunksize += bool(extra)
        elif chunksize < 1:
            raise ValueError(f"Chunksize must be 1+, not {chunksize}")
        size = max(1, chunksize)
        chunks = [(items[i : i + size],) for i in range(0, len(items), size)]
        return self._watch(*self._remote(function, "star" if star else "each").many(chunks))

    def _watch(self, *futures: Future[Any]) -> list[Future[Any]]:
        with self._lock:
            self._pending.update(futures)
        for future in futures:
            future.add_done_callback(self._pending.discard)
        return list(futures)

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
        future = self._submit(func, *tuple(args), **(kwds or {}))
        return ClusterAsyncResult([future], "one", callback, error_callback)

    def map(
        self, func: Callable[..., Any], iterable: Iterable[Any], chunksize: int | None = None
    ) -> list[Any]:
        return self.map_async(func, iterable, chunksize).get()

    def map_async(
        self,
        func: Callable[..., Any],
        iterable: Iterable[Any],
        chunksize: int | None = None,
        callback: Callable[[Any], Any] | None = None,
        error_callback: Callable[[BaseException], Any] | None = None,
    ) -> ClusterAsyncResult:
        futures = self._submit_chunks(func, iterable, chunksize)
        return ClusterAsyncResult(futures, "chunks", callback, error_callback)

    def starmap(
        self,
        func: Callable[..., Any],
        iterable: Iterable[Iterable[Any]],
        chunksize: int | None = None,
    ) -> list[Any]:
        return self.starmap_async(func, iterable, chunksize).get()

    def starmap_async(
        self,
        func: Callable[..., Any],
        iterable: Iterable[Iterable[Any]],
        chunksize: int | None = None,
        callback: Callable[[Any], Any] | None = None,
        error_callback: Callable[[BaseException], Any] | None = None,
    ) -> ClusterAsyncResult:
        futures = self._submit_chunks(func, (tuple(args) for args in iterable), chunksize, True)
        return ClusterAsyncResult(futures, "chunks", callback, error_callback)

    def imap(
        self, func: Callable[..., Any], iterable: Iterable[Any], chunksize: int = 1
    ) -> Iterator[Any]:
        futures = self._submit_chunks(func, iterable, chunksize)
        return (value for future in futures for value in future.result())

    def imap_unordered(
        self, func: Callable[..., Any], iterable: Iterable[Any], chunksize: int = 1
    ) -> Iterator[Any]:
        futures = self._submit_chunks(func, iterable, chunksize)
        return (value for future in as_completed(futures) for value in future.result())

    def close(self) -> None:
        self._closed = True

    def terminate(self) -> None:
        """Stop taking tasks and cancel those not yet started."""
        self._closed = True
        for future in list(self._pending):
            future.cancel()

    def join(self) -> None:
        if not self._closed:
            raise ValueError("Pool is still running")
        wait_for(list(self._pending))

    def __enter__(self) -> ClusterPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.terminate()

    def __repr__(self) -> str:
        state = "CLOSE" if self._closed else "RUN"
        return f"<{type(self).__qualname__} state={state} engine={self._engine.engine}>"


class ClusterExecutor(Executor):
    """concurrent.futures.ProcessPoolExecutor's interface on the cluster."""

    def __init__(self, max_workers: int | None = None, *args: Any, **kwargs: Any) -> None:
        if max_workers is not None and max_workers <= 0:
            raise ValueError("max_workers must be greater than 0")
        self._pool = ClusterPool(max_workers)

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        try:
            return self._pool._submit(fn, *args, **kwargs)
        except ValueError:
            raise RuntimeError("cannot schedule new futures after shutdown") from None

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        if cancel_futures:
            self._pool.terminate()
        else:
            self._pool.close()
        if wait:
            self._pool.join()


_noticed: set[str] = set()
_inside = threading.local()


def _locally(kind: str, call: Callable[..., Any]) -> Callable[..., Any]:
    """``call``, which runs locally, giving one notice of ``kind`` per run of the script
    (none for what it does itself, or what the engine does starting)."""

    def local(*args: Any, **kwargs: Any) -> Any:
        depth = getattr(_inside, "depth", 0)
        if depth == 0 and kind not in _noticed and _engine is not None and not _engine.busy:
            _noticed.add(kind)
            if sys.stderr is not None:
                sys.stderr.write(
                    f"procrun: --cluster {_engine.engine}: {kind} runs locally ({ON_THE_CLUSTER})\n"
                )
        _inside.depth = depth + 1
        try:
            return call(*args, **kwargs)
        finally:
            _inside.depth = depth

    local.__name__ = getattr(call, "__name__", "local")
    local.__doc__ = call.__doc__
    return local


def install(engine: str, address: str | None) -> None:
    """Serve pools and process executors from ``engine``; check the engine is installed,
    and join ``address`` now (an unreachable one fails here, in one line)."""
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
        _engine.start()
    _serve_pools()
    _notice_local_kinds()


def _serve_pools() -> None:
    import concurrent.futures
    import concurrent.futures.process
    from multiprocessing import pool

    from processing import (  # type: ignore[import-not-found, unused-ignore]
        pool as processing_pool,
    )

    def new(cls: type[Any], *args: Any, **kwargs: Any) -> Any:
        # multiprocessing.Pool() and multiprocessing.pool.Pool(); not subclasses (ThreadPool)
        return ClusterPool(*args, **kwargs) if cls is pool.Pool else object.__new__(cls)

    pool.Pool.__new__ = staticmethod(new)  # type: ignore[method-assign]
    processing_pool.Pool = type(
        "Pool", (processing_pool.OldPoolNames, ClusterPool), {"__module__": "processing"}
    )
    concurrent.futures.ProcessPoolExecutor = ClusterExecutor  # type: ignore[misc, assignment]
    concurrent.futures.process.ProcessPoolExecutor = ClusterExecutor  # type: ignore[misc, assignment]


def _notice_local_kinds() -> None:
    import multiprocessing
    import multiprocessing.queues
    import multiprocessing.shared_memory
    from multiprocessing import context, process

    patches: list[tuple[Any, str, str]] = [
        (process.BaseProcess, "start", "Process"),
        (multiprocessing.queues.Queue, "__init__", "Queue"),
        (multiprocessing.queues.SimpleQueue, "__init__", "Queue"),
        (context.BaseContext, "Manager", "Manager"),
        (context.BaseContext, "Value", "shared memory"),
        (context.BaseContext, "Array", "shared memory"),
        (context.BaseContext, "RawValue", "shared memory"),
        (context.BaseContext, "RawArray", "shared memory"),
        (multiprocessing.shared_memory.SharedMemory, "__init__", "shared memory"),
    ]
    for owner, name, kind in patches:
        setattr(owner, name, _locally(kind, getattr(owner, name)))
    # multiprocessing's module-level names are methods bound when it was imported: bind again.
    for name in ("Manager", "Value", "Array", "RawValue", "RawArray"):
        setattr(multiprocessing, name, getattr(context._default_context, name))
