from __future__ import annotations

from pathlib import Path

import pytest

from nofsbot import kernels
from nofsbot.tools import git


@pytest.mark.kernel
def test_provisioned_tree_is_a_clean_git_repo(linux61: Path) -> None:
    assert kernels.provision("6.1") == linux61  # idempotent: returns at once
    assert (linux61 / "MAINTAINERS").is_file()
    assert git.is_repo(linux61) and git.head(linux61)
    assert (linux61 / ".git" / "nofsbot-imported").is_file()
    # the tarball's .gitignore ignores everything; files were added anyway
    hits = git.grep_words(linux61, ["xfs_dir_createname"], ["fs/xfs/libxfs/xfs_dir2.h"])
    assert hits
