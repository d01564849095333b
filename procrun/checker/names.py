"""What the checker knows about the process APIs: qualified names -> the role they play.

``multiprocessing``, ``concurrent.futures`` and the old ``processing`` spellings (camelCase
and snake_case) map to one vocabulary, so the rules never spell a module name.
"""

from __future__ import annotations

#: Modules whose import makes a file worth checking at all.
PROCESS_MODULES = frozenset({"multiprocessing", "processing", "concurrent"})

_MP = ("multiprocessing", "processing")

_SYNC = ("Lock", "RLock", "Semaphore", "BoundedSemaphore", "Condition", "Event", "Barrier")
_QUEUES = ("Queue", "JoinableQueue", "SimpleQueue", "BufferedQueue")
_SHARED = ("Value", "Array", "RawValue", "RawArray", "SharedValue", "SharedStruct", "SharedArray")


def _build() -> dict[str, str]:
    roles: dict[str, str] = {}

    def add(role: str, *names: str) -> None:
        for name in names:
            roles[name] = role

    for mod in _MP:
        add("Process", f"{mod}.Process", f"{mod}.process.Process", f"{mod}.context.Process")
        add("Pool", f"{mod}.Pool", f"{mod}.pool.Pool", f"{mod}.context.Pool")
        add("Manager", f"{mod}.Manager", f"{mod}.pool.Manager")
        add("freeze_support", f"{mod}.freeze_support", f"{mod}.freezeSupport")
        add("freeze_support", f"{mod}.process.freezeSupport", f"{mod}.spawn.freeze_support")
        add("Pipe", f"{mod}.Pipe", f"{mod}.connection.Pipe")
        add("get_context", f"{mod}.get_context")
        add("ThreadPool", f"{mod}.dummy.Pool", f"{mod}.pool.ThreadPool")
        add("Thread", f"{mod}.dummy.Process")
        for name in _SYNC:
            add(f"sync:{name}", f"{mod}.{name}", f"{mod}.synchronize.{name}")
            add(f"thread:{name}", f"{mod}.dummy.{name}")
        for name in _QUEUES:
            add(f"queue:{name}", f"{mod}.{name}", f"{mod}.queues.{name}")
        for name in _SHARED:
            add(f"shared:{name}", f"{mod}.{name}", f"{mod}.sharedctypes.{name}")
            add(f"shared:{name}", f"{mod}.sharedmem.{name}")
    for kind in ("Spawn", "Fork", "ForkServer"):
        add("Process", f"multiprocessing.context.{kind}Process")
    add("Process", "multiprocessing.process.BaseProcess")
    add("ManagerClass", "multiprocessing.managers.SyncManager")
    add("ManagerClass", "multiprocessing.managers.BaseManager")
    add("ManagerClass", "multiprocessing.managers.SharedMemoryManager")
    add("ProcessPoolExecutor", "concurrent.futures.ProcessPoolExecutor")
    add("ProcessPoolExecutor", "concurrent.futures.process.ProcessPoolExecutor")
    add("ThreadPool", "concurrent.futures.ThreadPoolExecutor")
    add("ThreadPool", "concurrent.futures.thread.ThreadPoolExecutor")
    for name in _SYNC:
        add(f"thread:{name}", f"threading.{name}")
    add("thread:Lock", "_thread.allocate_lock", "threading._allocate_lock")
    add("Thread", "threading.Thread", "threading.Timer")
    add("copy", "copy.copy")
    return roles


#: qualified name -> role ("Process", "Pool", "sync:Lock", "thread:Event", ...)
ROLES: dict[str, str] = _build()

#: Methods of a process pool or executor whose first argument is pickled and run in a worker.
POOL_FUNCTION_METHODS = frozenset(
    {
        "map", "map_async", "imap", "imap_unordered", "starmap", "starmap_async", "apply",
        "apply_async", "submit",
    }
)  # fmt: skip

#: Manager methods that make a proxy to shared data (PR007), and to synchronisation objects.
PROXY_DATA_METHODS = frozenset(
    {"dict", "list", "Namespace", "Value", "Array", "Queue", "JoinableQueue"}
)
PROXY_SYNC_METHODS = frozenset(_SYNC)

#: Calls whose result cannot be pickled (PR009, PR011), besides the ``thread:`` roles. (Not
#: sockets: multiprocessing registers a reducer that duplicates their descriptor.)
UNPICKLABLE_FACTORIES = {
    "open": "an open file",
    "io.open": "an open file",
    "io.FileIO": "an open file",
    "codecs.open": "an open file",
    "gzip.open": "an open file",
    "bz2.open": "an open file",
    "lzma.open": "an open file",
    "tempfile.TemporaryFile": "an open file",
    "tempfile.NamedTemporaryFile": "an open file",
    "tempfile.SpooledTemporaryFile": "an open file",
    "sqlite3.connect": "a database connection",
    "subprocess.Popen": "a subprocess",
    "select.epoll": "an epoll object",
    "select.poll": "a poll object",
    "selectors.DefaultSelector": "a selector",
    "queue.Queue": "a thread queue",
    "queue.LifoQueue": "a thread queue",
    "queue.PriorityQueue": "a thread queue",
    "queue.SimpleQueue": "a thread queue",
    "threading.Thread": "a thread",
    "threading.Timer": "a thread",
    "threading.local": "a thread-local object",
}

#: Module attributes that pickle cannot send to another process.
UNPICKLABLE_OBJECTS = {
    "sys.stdout": "`sys.stdout` (an open file)",
    "sys.stderr": "`sys.stderr` (an open file)",
    "sys.stdin": "`sys.stdin` (an open file)",
    "sys.__stdout__": "`sys.__stdout__` (an open file)",
    "sys.__stderr__": "`sys.__stderr__` (an open file)",
}
