"""procrun freeze --verify: the frozen app's self-check, bundled beside the app's script.

Run like the app (through procrun's launcher, unguarded): for each start method this
platform has, start a child that reads a payload from one Queue and echoes it on another.
Prints one JSON line per method (and appends it to the file PROCRUN_SELF_CHECK_REPORT names:
a windowed app has no stdout) and exits 1 if any round trip failed.
"""

import json
import multiprocessing
import os
import sys

REPORT = os.getenv("PROCRUN_SELF_CHECK_REPORT")

PAYLOAD = {"numbers": list(range(1000)), "blob": bytes(range(256)) * 64, "text": "procrun"}


def echo(inbox, outbox):
    outbox.put(inbox.get())


failed = 0
for method in multiprocessing.get_all_start_methods():
    context = multiprocessing.get_context(method)
    inbox, outbox = context.Queue(), context.Queue()
    child = context.Process(target=echo, args=(inbox, outbox))
    error = ""
    try:
        child.start()
        inbox.put(PAYLOAD)
        ok = outbox.get(timeout=60) == PAYLOAD
    except Exception as exc:  # reported below, as a failed check
        ok, error = False, f"{type(exc).__name__}: {exc}"
    child.join(30)
    if child.is_alive():
        child.kill()
        ok, error = False, error or "the child did not end"
    ok = ok and child.exitcode == 0
    failed += not ok
    line = json.dumps({"method": method, "ok": ok, "exitcode": child.exitcode, "error": error})
    print(line)  # nothing, where sys.stdout is None
    if REPORT:
        with open(REPORT, "a", encoding="utf-8") as report:
            report.write(line + "\n")

sys.exit(1 if failed else 0)
