"""`nofsbot kernel`: a Debian linux-source tree, extracted and imported once."""

from __future__ import annotations

import argparse

from nofsbot.cli.common import EXIT_OK


def cmd_kernel(args: argparse.Namespace) -> int:
    from nofsbot import kernels

    for v in args.versions:
        print(kernels.provision(v))
    return EXIT_OK


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The kernel command."""
    k = sub.add_parser(
        "kernel",
        help="extract a Debian linux-source tarball once into the cache and print its path",
        description="Extract /usr/src/linux-source-VERSION.tar.xz into the cache directory "
        "($XDG_CACHE_HOME/nofsbot/kernels), import it into git, and print the path. "
        "Later calls just print the path.",
    )
    k.add_argument("versions", nargs="+", metavar="VERSION", help="e.g. 6.1 or 6.12")
    k.set_defaults(func=cmd_kernel)
