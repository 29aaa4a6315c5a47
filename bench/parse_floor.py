"""Parse, with tree-sitter-c and nothing else, every file `nofsbot scan PATH` reads.

A floor for the cold scan: the analysis needs the call graph of every
subsystem it covers and of the include/ headers those use, and it cannot get
it without parsing them. This script reads exactly that file list (the
scan's own plan), splits it over N processes and only parses: no macro
preprocessing, no queries, no facts, no cache. bench/scan.py times it next
to spatch. Prints how many files and bytes were parsed.
"""

from __future__ import annotations

import argparse
import sys
from multiprocessing import Pool
from pathlib import Path

_PARSER: list[object] = []


def _init() -> None:
    import tree_sitter_c
    from tree_sitter import Language, Parser

    _PARSER[:] = [Parser(Language(tree_sitter_c.language()))]


def _parse(job: tuple[str, list[str]]) -> tuple[int, int]:
    tree, paths = job
    parser = _PARSER[0]
    size = errors = 0
    for p in paths:
        src = (Path(tree) / p).read_bytes()
        size += len(src)
        errors += parser.parse(src).root_node.has_error  # type: ignore[attr-defined]
    return size, errors


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="bench/parse_floor.py", description=__doc__.splitlines()[0])
    ap.add_argument("path", help="path inside the tree, as given to nofsbot scan")
    ap.add_argument("--tree", required=True, metavar="DIR", help="kernel tree")
    ap.add_argument("-j", "--jobs", type=int, default=2, metavar="N", help="processes")
    args = ap.parse_args(argv)

    # the working tree's planner, even when bench/scan.py runs a snapshot
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from nofsbot.analyse import plan

    p = plan(Path(args.tree), [args.path], every_unit=False)
    files = p.files + p.headers
    # interleaved shares, so each process gets big and small files alike
    jobs = [(args.tree, files[i :: args.jobs * 8]) for i in range(args.jobs * 8)]
    with Pool(args.jobs, initializer=_init) as pool:
        done = pool.map(_parse, jobs, chunksize=1)
    size = sum(s for s, _ in done)
    errors = sum(e for _, e in done)
    print(f"{len(files)} files ({len(p.headers)} include/ headers), {size / 1e6:.1f} MB parsed")
    print(f"{errors} with a parse error somewhere (not preprocessed)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
