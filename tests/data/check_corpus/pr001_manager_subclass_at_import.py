# expect: PR001
# A manager of the script's own, started at module level: under spawn the manager's server
# process imports the script, which starts another manager.
from multiprocessing.managers import BaseManager


class Registry:
    def __init__(self):
        self.names = []

    def add(self, name):
        self.names.append(name)


class RegistryManager(BaseManager):
    pass


RegistryManager.register("Registry", Registry)
manager = RegistryManager()
manager.start()
registry = manager.Registry()
registry.add("first")
