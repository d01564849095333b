"""A small everyday script: count the words of a short text (the start-up benchmark's 1b)."""

import collections
import sys

TEXT = """the quick brown fox jumps over the lazy dog and the dog sleeps on"""


def words(text: str) -> list[str]:
    return [word.strip(".,") for word in text.split()]


def most_common(items: list[str], count: int = 3) -> list[tuple[str, int]]:
    return collections.Counter(items).most_common(count)


for word, times in most_common(words(TEXT)):
    print(f"{word}: {times}")
sys.stdout.flush()
