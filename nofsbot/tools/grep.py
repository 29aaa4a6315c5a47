"""GNU grep, for matching thousands of fixed words at once (Aho-Corasick).

`git grep -w -F -f` slows down badly with thousands of patterns; GNU grep
does the same search over include/ in under a second.
"""

from __future__ import annotations

from pathlib import Path

from nofsbot.tools.proc import run


def words_in_files(
    cwd: Path, words_file: Path, targets: list[str], include: str
) -> dict[str, set[str]]:
    """For each file under TARGETS (recursively, names matching INCLUDE), the words
    of WORDS_FILE it contains as whole words."""
    if not targets:
        return {}
    argv = [
        "grep",
        "-r",
        "-o",
        "-I",
        "-w",
        "-F",
        "-H",
        f"--include={include}",
        "-f",
        str(words_file),
        "--",
        *targets,
    ]
    res = run(argv, cwd=cwd, timeout=600, ok_codes=(0, 1))
    found: dict[str, set[str]] = {}
    for raw in res.stdout.splitlines():
        path, _, word = raw.rpartition(":")
        if path:
            found.setdefault(path, set()).add(word)
    return found
