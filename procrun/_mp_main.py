"""Each spawned child's ``__mp_main__``: the parent script's definitions, replayed."""

__import__("procrun.child").child.replay(globals())
