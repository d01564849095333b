"""Every name the original ``processing`` package documented (0.34 to 0.52) is there.

The census is read from the package's own documentation: the module reference, the pages on
process, queue, connection, manager, proxy, pool and shared ctypes objects, and the 0.3x
release notes for names that 0.40 renamed or dropped. A name that goes missing fails here
by name; what each one does is tested beside its module (tests/test_processing_*.py).
"""

from __future__ import annotations

import importlib

import pytest

#: module -> the names it documents (attributes of classes as Class.attribute).
DOCUMENTED: dict[str, tuple[str, ...]] = {
    "processing": (
        # processing-ref (0.52)
        "Process",
        "BufferTooShort",
        "Pipe",
        "Queue",
        "BoundedSemaphore",
        "Condition",
        "Event",
        "Lock",
        "RLock",
        "Semaphore",
        "Semaphore.getValue",
        "BoundedSemaphore.getValue",
        "SimpleQueue",
        "Value",
        "Array",
        "Manager",
        "Pool",
        "enableLogging",
        "getLogger",
        "activeChildren",
        "cpuCount",
        "currentProcess",
        "freezeSupport",
        # 0.3x names and module-level extras the users met
        "BufferedQueue",
        "PipeQueue",
        "BufferedPipeQueue",
        "SharedValue",
        "SharedStruct",
        "SharedArray",
        "LocalManager",
        "Finalize",
        "HAVE_NATIVE_SEMAPHORE",
        "ProcessExit",
        "waitForAnyChild",
        "NOTSET",
        "SUBDEBUG",
        "DEBUG",
        "INFO",
        "SUBWARNING",
        # process-objects
        "Process.start",
        "Process.run",
        "Process.join",
        "Process.terminate",
        "Process.getName",
        "Process.setName",
        "Process.isAlive",
        "Process.isDaemon",
        "Process.setDaemon",
        "Process.getPid",
        "Process.getExitCode",
        "Process.getAuthKey",
        "Process.setAuthKey",
        "Process.stop",
        "Process.setStoppable",
        # pool-objects
        "Pool.apply",
        "Pool.applyAsync",
        "Pool.map",
        "Pool.mapAsync",
        "Pool.imap",
        "Pool.imapUnordered",
        "Pool.close",
        "Pool.terminate",
        "Pool.join",
        "Pool.shutdown",
        # queue-objects
        "BufferedQueue.putMany",
        "BufferedQueue.putmany",
        # 0.34-0.39 queue-objects and 0.35's process helpers
        "PosixQueue",
        "BufferedPosixQueue",
        "info",
        "debug",
        "LocalManager._debug_info",
    ),
    "processing.connection": (
        "Listener",
        "Client",
        "Pipe",
        "families",
        "AuthenticationError",
        "deliver_challenge",
        "answer_challenge",
    ),
    "processing.managers": (
        "BaseManager",
        "SyncManager",
        "BaseProxy",
        "CreatorMethod",
        "RemoteError",
        "Token",
    ),
    "processing.sharedctypes": (
        "Value",
        "Array",
        "RawValue",
        "RawArray",
        "copy",
        "synchronized",
        "new_value",
        "new_array",
    ),
    "processing.queue": ("Queue", "Empty", "Full", "SimpleQueue"),
    "processing.process": ("_exitFunction",),
    "processing.finalize": ("Finalize",),
    "processing.localmanager": ("LocalManager",),
    "processing.reduction": (),
    "processing.heap": (),
    "processing.logger": (),
    "processing.forking": (),
    "processing._processing": (
        "BufferTooShort",
        "Connection",
        "ProcessError",
        "readWriteBuffer",
        "addressOfBuffer",
    ),
    "processing.dummy": (
        "Process",
        "Pool",
        "Queue",
        "Manager",
        "dict",
        "list",
        "Namespace",
        "_debug_info",
    ),
    "processing.dummy.managers": ("BaseManager", "SyncManager", "BaseProxy", "CreatorMethod"),
    "processing.dummy.connection": ("Listener", "Client", "Pipe"),
}

CENSUS = [(module, name) for module, names in DOCUMENTED.items() for name in ("", *names)]


@pytest.mark.parametrize(("module", "name"), CENSUS, ids=[f"{m}:{n}" for m, n in CENSUS])
def test_documented_name_is_there(module: str, name: str) -> None:
    found: object = importlib.import_module(module)
    for part in name.split(".") if name else ():
        assert hasattr(found, part), f"{module}.{name} is documented but missing"
        found = getattr(found, part)
