"""The definition/action split (pure: no processes)."""

from __future__ import annotations

import ast
import textwrap

import pytest

from procrun.globals_transfer import names_read_by_functions
from procrun.guard import compile_guarded, split_module


def classify(source: str) -> dict[str, bool]:
    """First line of each top-level statement -> is it a definition."""
    source = textwrap.dedent(source)
    tree = ast.parse(source)
    split = split_module(tree, source)
    lines = source.splitlines()
    return {
        lines[stmt.lineno - 1].strip(): definition
        for stmt, definition in zip(tree.body, split.is_definition, strict=True)
    }


@pytest.mark.parametrize(
    "statement",
    [
        '"""docstring"""',
        "import os, sys",
        "from collections import namedtuple as nt",
        "def f(x, y=2): return x",
        "@functools.lru_cache\ndef g(): pass",
        "class C(Base, metaclass=Meta): x = 1",
        "N = 10",
        "SQUARES = [i * i for i in range(N)]",
        "TABLE = {k: v for k, v in zip('ab', (1, 2))}",
        "NAME = f'{N}-items'",
        "SEP = ', '.join(['a', 'b'])",
        "Point = namedtuple('Point', 'x y')",
        "PATTERN = re.compile(r'\\d+')",
        "log = logging.getLogger(__name__)",
        "HERE = Path(__file__).parent / 'data'",
        "HOME = os.environ.get('HOME', '/')",
        "ARGS = sys.argv[1:]",
        "square = lambda x: x * x",
        "logging.basicConfig(level=logging.INFO)",
        "warnings.simplefilter('ignore')",
        "if TYPE_CHECKING:\n    import numpy",
        "if sys.version_info >= (3, 11):\n    import tomllib\nelse:\n    tomllib = None",
        "if sys.platform == 'win32':\n    import msvcrt\nelse:\n    import termios",
        "if os.environ.get('FAST'):\n    import json as codec\n"
        "elif N > 1:\n    import pickle as codec\nelse:\n    codec = None",
        "if N:\n    if sys.platform == 'win32':\n        import msvcrt\n    X = 1",
        "if N:\n    import struct\n    LAYOUT = struct.Struct('<i')",
        "try:\n    import numpy\nexcept ImportError:\n    numpy = None",
        "with contextlib.suppress(ImportError):\n    import yaml",
        "x: int = 3",
        "assert sys.version_info >= (3, 8)",
    ],
)
def test_definitions(statement: str) -> None:
    header = (
        "import contextlib, functools, logging, os, re, sys, warnings\n"
        "from collections import namedtuple\nfrom pathlib import Path\n"
        "from typing import TYPE_CHECKING\nBase = object\nMeta = type\nN = 1\n"
    )
    verdicts = classify(header + statement)
    first = next(line for line in statement.splitlines() if not line.startswith("@"))
    assert verdicts[first.strip()] is True


@pytest.mark.parametrize(
    "statement",
    [
        "print('hello')",
        "p = Process(target=f)",
        "p.start()",
        "pool = multiprocessing.Pool(4)",
        "DATA = load()",
        "NOW = time.time()",
        "CONFIG['debug'] = True",
        "counter += 1",
        "for i in range(3):\n    print(i)",
        "if __name__ == '__main__':\n    main()",
        "if check():\n    import json",
        "if N:\n    import json\nelif check():\n    import pickle",
        "if N:\n    import json\nelse:\n    print(N)",
        "if N:\n    if check():\n        import json",
        "with open('f') as fh:\n    pass",
        "del N",
        "items.append(1)",
        "x = (y := 5)",
    ],
)
def test_actions(statement: str) -> None:
    header = "import multiprocessing, time\nfrom multiprocessing import Process\nN = 1\n"
    assert classify(header + statement)[statement.splitlines()[0].strip()] is False


def test_definition_reading_an_action_name_becomes_an_action() -> None:
    verdicts = classify(
        """
        import sys
        DATA = load()
        SIZE = len(DATA)
        def f(n=SIZE): return n
        class K:
            size = SIZE
        @register(DATA)
        def g(): pass
        def h(): return DATA
        OTHER = len("abc")
        """
    )
    assert verdicts == {
        "import sys": True,
        "DATA = load()": False,
        "SIZE = len(DATA)": False,
        "def f(n=SIZE): return n": False,
        "class K:": False,
        "def g(): pass": False,  # decorated with @register(DATA)
        "def h(): return DATA": True,  # the body runs later, in the child, with DATA copied
        'OTHER = len("abc")': True,
    }


def test_a_definition_after_rebinding_is_a_definition_again() -> None:
    verdicts = classify("X = compute()\nX = 5\nY = X + 1\n")
    assert verdicts == {"X = compute()": False, "X = 5": True, "Y = X + 1": True}


def test_shadowed_builtin_is_not_a_factory() -> None:
    verdicts = classify("def len(x): return launch()\nN = len([1])\n")
    assert verdicts["N = len([1])"] is False


def test_markers_override_the_classification() -> None:
    verdicts = classify(
        """
        import time
        START = time.time()  # procrun: replay
        N = 5  # procrun: once
        """
    )
    assert verdicts == {
        "import time": True,
        "START = time.time()  # procrun: replay": True,
        "N = 5  # procrun: once": False,
    }


def test_replayed_names_exclude_what_actions_or_functions_change() -> None:
    source = textwrap.dedent(
        """
        import os
        CONFIG = {}
        CACHE = {}
        COUNT = 0
        LIMIT = 3
        RESULTS = []
        CONFIG["debug"] = True
        def bump():
            global COUNT
            COUNT += 1
        def remember(k, v):
            CACHE[k] = v
        def local_only(RESULTS):
            RESULTS.append(1)
        """
    )
    split = split_module(ast.parse(source), source)
    assert split.replayed == {"os", "LIMIT", "RESULTS", "bump", "remember", "local_only"}


def test_guarded_code_keeps_line_numbers_and_order() -> None:
    source = "import sys\nprint('a')\nX = 1\nprint('b', X)\nraise ValueError('line 5')\n"
    code, split = compile_guarded(source, "/virtual/script.py")
    assert split.is_definition == [True, False, True, False, False]
    assert code.co_filename == "/virtual/script.py"
    namespace = {"__name__": "__mp_main__"}
    exec(code, namespace)  # a child: definitions only, no print, no raise
    assert namespace["X"] == 1
    namespace = {"__name__": "__main__"}
    with pytest.raises(ValueError) as caught:
        exec(code, namespace)
    assert caught.traceback[-1].lineno + 1 == 5


def test_names_read_by_functions_excludes_parameters_and_module_code() -> None:
    source = textwrap.dedent(
        """
        DATA = load()
        TOTAL = sum(x for x in DATA)
        SIZES = [len(d) for d in DATA]
        def work(i, DATA=None):
            return i + OFFSET
        class Worker:
            def run(self):
                return helper(self) + LIMIT
        f = lambda: CONSTANT
        """
    )
    names = names_read_by_functions(source, "<test>")
    assert names == {"OFFSET", "helper", "LIMIT", "CONSTANT"}


def test_a_replayed_constant_given_a_new_value_after_an_action_travels_by_copy() -> None:
    verdicts = classify("LIMIT = 3\nstart()\nLIMIT = 5\nOTHER = 1\nOTHER = 2\n")
    assert verdicts == {
        "LIMIT = 3": True,
        "start()": False,
        "LIMIT = 5": False,  # a child started by start() must see 3, as under fork
        "OTHER = 1": True,
        "OTHER = 2": True,  # nothing ran in between
    }


def test_conditional_star_import_is_replayed_with_what_it_defines() -> None:
    verdicts = classify(
        """
        config = 'processes'
        if config == 'processes':
            from processing import *
        else:
            from processing.dummy import *
        class Worker(Process): pass
        """
    )
    assert verdicts == {
        "config = 'processes'": True,
        "if config == 'processes':": True,  # the child evaluates the test itself
        "class Worker(Process): pass": True,
    }


def test_raise_in_the_else_of_a_replayed_if_keeps_it_replayed() -> None:
    # The child takes the branch the parent took, which did not raise.
    verdicts = classify(
        """
        import sys
        class ConfigError(Exception): pass
        config = 'processes'
        if config == 'processes':
            from multiprocessing import Process
        elif config == 'threads':
            from threading import Thread as Process
        else:
            raise ValueError('no such configuration: %s' % config)
        if sys.platform == 'win32':
            raise ConfigError(sys.platform) from None
        if config == 'dummy':
            raise SystemExit(load())
        start()
        if config != 'threads':
            raise RuntimeError('after a child may have started')
        """
    )
    assert verdicts == {
        "import sys": True,
        "class ConfigError(Exception): pass": True,
        "config = 'processes'": True,
        "if config == 'processes':": True,
        "if sys.platform == 'win32':": True,
        "if config == 'dummy':": False,  # the exception's argument calls something
        "start()": False,
        "if config != 'threads':": False,  # a child started above must not raise
    }


def test_star_import_in_an_action_makes_names_of_unknown_origin_actions() -> None:
    verdicts = classify(
        """
        config = choose()
        if config == 'processes':
            from processing import *
        class Worker(Process): pass
        class Plain(object): pass
        LIMIT = len('abc')
        def work(): return Queue()
        """
    )
    assert verdicts == {
        "config = choose()": False,
        "if config == 'processes':": False,
        "class Worker(Process): pass": False,  # Process may come from the star import
        "class Plain(object): pass": True,  # object is a builtin
        "LIMIT = len('abc')": True,
        "def work(): return Queue()": True,  # Queue is read when work runs, by copy then
    }


def test_if_testing_what_a_called_function_changed_is_an_action() -> None:
    # A child replays SETTINGS = {} but never runs configure(): evaluated there, the test
    # would raise KeyError (or take another branch than the parent took).
    verdicts = classify(
        """
        SETTINGS = {}
        def configure():
            SETTINGS['backend'] = 'processes'
        if SETTINGS.get('backend') is None:
            import json
        configure()
        if SETTINGS['backend'] == 'processes':
            from multiprocessing import Process
        class Worker(Process): pass
        """
    )
    assert verdicts["if SETTINGS.get('backend') is None:"] is False  # .get is no factory
    assert verdicts["if SETTINGS['backend'] == 'processes':"] is False
    assert verdicts["class Worker(Process): pass"] is False  # its base travels by copy


def test_if_testing_what_functions_change_is_replayed_before_any_action() -> None:
    verdicts = classify(
        """
        import sys
        VERBOSE = False
        def main():
            global VERBOSE
            VERBOSE = True
        if VERBOSE:
            import pdb
        main()
        """
    )
    assert verdicts["if VERBOSE:"] is True  # nothing could have called main() yet


def test_assignment_in_a_replayed_if_after_an_action_travels_by_copy() -> None:
    verdicts = classify(
        """
        import sys
        LIMIT = 3
        start()
        if sys.platform != 'win32':
            LIMIT = 5
        if sys.platform != 'darwin':
            OTHER = 1
        """
    )
    assert verdicts == {
        "import sys": True,
        "LIMIT = 3": True,
        "start()": False,
        "if sys.platform != 'win32':": False,  # a child started by start() must see 3
        "if sys.platform != 'darwin':": True,  # a new name: replayed
    }


def test_what_an_action_block_imports_is_no_alias_for_later_statements() -> None:
    verdicts = classify(
        """
        if FLAG:
            if FLAG:
                import re
            launch()
        PATTERN = re.compile('x+')
        """
    )
    assert verdicts["if FLAG:"] is False
    assert verdicts["PATTERN = re.compile('x+')"] is False  # re is not replayed


def test_changing_state_every_child_inherits_keeps_the_module_replayable() -> None:
    verdicts = classify(
        """
        import os, sys
        import config
        sys.path.insert(0, 'lib')
        os.environ.setdefault('OMP_NUM_THREADS', '1')
        config.DEBUG = True
        if sys.platform == 'win32' or os.name == 'nt':
            import msvcrt
        if config.DEBUG:
            import pdb
        """
    )
    assert verdicts["if sys.platform == 'win32' or os.name == 'nt':"] is True
    assert verdicts["if config.DEBUG:"] is False  # a child imports config afresh


def test_main_guard_holding_only_definitions_is_evaluated_by_the_child() -> None:
    # As python's own spawn child does: there __name__ is "__mp_main__", so it takes the
    # else branch; a guard holding any action is an action, as before.
    source = "if __name__ == '__main__':\n    ROLE = 'main'\nelse:\n    ROLE = 'child'\n"
    code, split = compile_guarded(source, "/virtual/guarded.py")
    assert split.is_definition == [True]
    namespace = {"__name__": "__mp_main__"}
    exec(code, namespace)
    assert namespace["ROLE"] == "child"


# -- logging set-up ---------------------------------------------------------------------


def test_logging_set_up_at_top_level_is_replayed() -> None:
    verdicts = classify(
        """
        import logging, multiprocessing
        log = logging.getLogger("app")
        log.setLevel(logging.INFO)
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(processName)s %(message)s"))
        log.addHandler(handler)
        def work(): log.info("from child")
        log.info("from parent")
        p = multiprocessing.Process(target=work); p.start(); p.join()
        """
    )
    assert verdicts == {
        "import logging, multiprocessing": True,
        'log = logging.getLogger("app")': True,
        "log.setLevel(logging.INFO)": True,
        "handler = logging.StreamHandler()": True,
        'handler.setFormatter(logging.Formatter("%(processName)s %(message)s"))': True,
        "log.addHandler(handler)": True,
        'def work(): log.info("from child")': True,
        'log.info("from parent")': False,
        "p = multiprocessing.Process(target=work); p.start(); p.join()": False,
    }


@pytest.mark.parametrize(
    "statement",
    [
        "logging.getLogger().setLevel(logging.INFO)",
        "logging.getLogger('noisy').propagate = False",
        "logging.getLogger('noisy').disabled = True",
        "logging.root.addHandler(logging.NullHandler())",
        "fmt = Formatter('%(message)s', datefmt='%H:%M')",
        "console = StreamHandler(sys.stdout)",
        "handler = logging.FileHandler('app.log')",
        "handler = logging.FileHandler('app.log', 'a', encoding='utf-8')",
        "handler = RotatingFileHandler('app.log', mode='a', maxBytes=1024)",
        "handler = logging.handlers.TimedRotatingFileHandler('app.log', when='d')",
        "handler = logging.handlers.WatchedFileHandler(HERE / 'app.log')",
        "if sys.platform != 'win32':\n    h = StreamHandler()\n    h.setLevel(logging.DEBUG)",
    ],
)
def test_logging_definitions_and_set_up_calls(statement: str) -> None:
    header = (
        "import logging, logging.handlers, sys\nfrom pathlib import Path\n"
        "from logging import Formatter, StreamHandler\n"
        "from logging.handlers import RotatingFileHandler\nHERE = Path('.')\n"
    )
    assert classify(header + statement)[statement.splitlines()[0]] is True


@pytest.mark.parametrize(
    "opening",
    [
        "handler = logging.FileHandler('app.log', 'w')",
        "handler = logging.FileHandler('app.log', mode='w')",
        "handler = logging.FileHandler('app.log', 'x')",
        "handler = logging.FileHandler('app.log', mode=MODE)",
        "handler = logging.FileHandler(*ARGS)",
        "handler = logging.FileHandler('app.log', **OPTIONS)",
        "handler = RotatingFileHandler('app.log', 'w', maxBytes=1024)",
        "handler = logging.handlers.WatchedFileHandler('app.log', mode='w')",
    ],
)
def test_file_handler_is_replayed_only_to_append(opening: str) -> None:
    # Made again in each child, it would empty the parent's log: the child goes without it.
    verdicts = classify(
        "import logging, logging.handlers\nfrom logging.handlers import RotatingFileHandler\n"
        "MODE = 'a'\nARGS = ('app.log',)\nOPTIONS = {}\nlog = logging.getLogger()\n"
        "appending = logging.FileHandler('app.log')\nlog.addHandler(appending)\n"
        f"{opening}\nlog.addHandler(handler)\n"
    )
    assert verdicts["log.addHandler(appending)"] is True
    assert verdicts[opening] is False
    assert verdicts["log.addHandler(handler)"] is False  # handler exists only in the parent


def test_basic_config_that_would_empty_its_file_is_an_action() -> None:
    verdicts = classify(
        "import logging\nlogging.basicConfig(filename='app.log', filemode='w')\n"
        "logging.basicConfig(filename='app.log', filemode='a')\n"
    )
    assert verdicts["logging.basicConfig(filename='app.log', filemode='w')"] is False
    assert verdicts["logging.basicConfig(filename='app.log', filemode='a')"] is True


def test_logging_set_up_reading_what_an_action_made_is_an_action() -> None:
    verdicts = classify(
        """
        import logging
        log = logging.getLogger("app")
        level = compute_level()
        log.setLevel(level)
        log.addHandler(logging.StreamHandler())
        queue = make_queue()
        log.addHandler(logging.handlers.QueueHandler(queue))
        fmt = make_formatter()
        handler = logging.StreamHandler()
        handler.setFormatter(fmt)
        log.addHandler(handler)
        """
    )
    assert verdicts["log.setLevel(level)"] is False
    # The logger is the same in a child whatever the parent did to it before: later set-up
    # calls on it are replayed.
    assert verdicts["log.addHandler(logging.StreamHandler())"] is True
    assert verdicts["log.addHandler(logging.handlers.QueueHandler(queue))"] is False
    assert verdicts["handler.setFormatter(fmt)"] is False
    # setFormatter(fmt) ran only in the parent: a child's handler would lack the formatter.
    assert verdicts["log.addHandler(handler)"] is False


def test_set_up_methods_of_other_objects_are_actions() -> None:
    verdicts = classify(
        """
        import logging
        from mylib import getLogger
        root = logging.getLogger()
        root.setLevel(1)
        settings = {}
        settings.setLevel(1)
        other = getLogger("app")
        other.setLevel(1)
        log = logging.getLogger("app")
        log = make_logger()
        log.setLevel(1)
        if FLAG:
            handler = logging.StreamHandler()
            launch()
        handler.setLevel(1)
        logging.Formatter.converter = time.gmtime
        """
    )
    assert verdicts["root.setLevel(1)"] is True
    assert verdicts["settings.setLevel(1)"] is False
    assert verdicts["other.setLevel(1)"] is False  # not logging's getLogger
    assert verdicts["log.setLevel(1)"] is False  # log is no longer the replayed logger
    assert verdicts["handler.setLevel(1)"] is False  # bound by an action
    assert verdicts["logging.Formatter.converter = time.gmtime"] is False


def test_handler_rebound_after_an_action_travels_by_copy() -> None:
    source = textwrap.dedent(
        """
        import logging
        log = logging.getLogger("app")
        handler = logging.StreamHandler()
        log.addHandler(handler)
        start_children()
        handler = logging.FileHandler("late.log")
        log.addHandler(handler)
        """
    )
    split = split_module(ast.parse(source), source)
    # A child started by start_children() has the first handler only, as under fork.
    assert split.is_definition == [True, True, True, True, False, False, False]


def test_logging_set_up_keeps_its_objects_replayed() -> None:
    source = textwrap.dedent(
        """
        import logging
        log = logging.getLogger("app")
        handler = logging.StreamHandler()
        handler.setLevel(logging.INFO)
        log.addHandler(handler)
        log.propagate = False
        """
    )
    split = split_module(ast.parse(source), source)
    assert {"log", "handler"} <= split.replayed  # a child sets them up as the parent did


def test_logger_named_by___name___is_the_main_logger_in_a_child() -> None:
    source = textwrap.dedent(
        """
        import logging
        from logging import getLogger
        log = logging.getLogger(__name__)
        sub = getLogger(f"{__name__}.sub")
        only = logging.Filter(name=__name__)
        NAME = __name__
        def looked_up():
            return logging.getLogger(__name__).name
        """
    )
    code, split = compile_guarded(source, "/virtual/named.py")
    child = {"__name__": "__mp_main__"}
    exec(code, child)
    assert child["log"].name == "__main__"
    assert child["sub"].name == "__main__.sub"
    assert child["only"].name == "__main__"
    assert child["looked_up"]() == "__main__"
    assert child["NAME"] == "__mp_main__"  # only logger names are the parent's
    parent = {"__name__": "__main__"}
    exec(code, parent)
    assert parent["looked_up"]() == "__main__"
    assert "getLogger(__name__)" in ast.unparse(split.tree)  # the parsed tree is untouched
