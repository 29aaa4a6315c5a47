"""Which tags a run takes, in which order; merge windows and pauses."""

from __future__ import annotations

import datetime
from pathlib import Path

from nofsbot.bot.config import Limits, Tree
from nofsbot.bot.tags import merge_window, natural, new_tags, paused, sparse_patterns

TREE = Tree("remote", Path("clone"), "next-*", ("fs/xfs",))
TAGS = ["v6.7", "next-20260110", "next-20260102", "next-20260101", "next-20260109", "x"]


def test_first_run_takes_the_newest_then_every_newer_one_oldest_first() -> None:
    assert new_tags(TREE, TAGS, set(), None, 7) == ["next-20260110"]
    assert new_tags(TREE, TAGS, {"next-20260101"}, "next-20260101", 7) == [
        "next-20260102",
        "next-20260109",
        "next-20260110",
    ]
    assert new_tags(TREE, TAGS, {"next-20260101"}, "next-20260101", 2) == [
        "next-20260102",
        "next-20260109",
    ]
    assert new_tags(TREE, TAGS, {"next-20260110"}, "next-20260110", 7) == []
    assert natural("next-9") < natural("next-10")


def test_merge_window_is_a_release_without_the_next_rc() -> None:
    assert merge_window(["next-20260101"]) is None  # no mainline tags: never
    assert merge_window(["v6.7", "v6.8-rc1", "v6.8-rc7"]) is None
    why = merge_window(["v6.7", "v6.8-rc7", "v6.8"])
    assert why is not None and "v6.9-rc1" in why
    assert merge_window(["v6.8", "v6.9-rc1"]) is None


def test_pause() -> None:
    limits = Limits(1, 7, "auto", ((datetime.date(2026, 1, 1), datetime.date(2026, 1, 5)),), 15)
    assert paused(limits, [], datetime.date(2026, 1, 5)) is not None
    assert paused(limits, [], datetime.date(2026, 1, 6)) is None
    assert paused(limits, ["v6.8"], datetime.date(2026, 1, 6)) is not None
    off = Limits(1, 7, "off", (), 15)
    assert paused(off, ["v6.8"], datetime.date(2026, 1, 6)) is None


def test_sparse_patterns_hold_what_the_analysis_reads() -> None:
    assert sparse_patterns(("fs/xfs", "fs/buffer.c")) == [
        "/Kconfig",
        "/MAINTAINERS",
        "/Makefile",
        "/arch/*/include/",
        "/fs/*.[ch]",
        "/fs/*.h",
        "/fs/xfs/",
        "/include/",
        "/scripts/",
    ]
