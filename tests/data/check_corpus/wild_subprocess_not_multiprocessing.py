# expect: none
# Child processes, but not multiprocessing ones: nothing is re-imported in a child.
import multiprocessing
import subprocess
import sys

jobs = multiprocessing.cpu_count()
proc = subprocess.Popen([sys.executable, "-c", "print('child')"], stdout=subprocess.PIPE)
print(proc.communicate()[0].decode().strip(), jobs > 0)
