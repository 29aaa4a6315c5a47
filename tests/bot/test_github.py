"""Regressions reach GitHub through PyGithub: a local HTTP server serves the
few REST endpoints used; the token is sent, never logged."""

from __future__ import annotations

import logging

import pytest

from nofsbot.bot import notify
from nofsbot.bot.config import GitHub
from nofsbot.bot.state import Regression
from nofsbot.errors import PublishError

TOKEN = "ghp_secret_token_value"
REG = Regression(
    "next-20260102", "new-site", "id", "fs/xfs/libxfs/xfs_sb.c", 1063, "xfs_sync_sb",
    "kzalloc: GFP_NOFS (redundant)", "b4d78c4e6c51aaaa", "Nofs Adder <adder@example.org>",
    "xfs: probe the superblock sync",
)  # fmt: skip


def test_issue_and_comment(
    api: tuple[str, list[tuple[str, str, dict[str, object], str]]],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    url, calls = api
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    caplog.set_level(logging.DEBUG)
    got = notify.post(GitHub("o/r", "issue", 0, url), "next-20260102", (REG,))
    assert got == "https://gh/o/r/issues/7"
    method, path, body, auth = calls[-1]
    assert (method, path) == ("POST", "/api/repos/o/r/issues")
    assert body["title"] == "nofsbot: 1 new NOFS regression in next-20260102"
    text = str(body["body"])
    assert "fs/xfs/libxfs/xfs_sb.c:1063 xfs_sync_sb()" in text and "Nofs Adder" in text
    assert auth == f"token {TOKEN}"
    got = notify.post(GitHub("o/r", "comment", 5, url), "next-20260102", (REG,))
    assert got == "https://gh/o/r/issues/5#c1"
    assert calls[-1][:2] == ("POST", "/api/repos/o/r/issues/5/comments")
    assert TOKEN not in caplog.text


def test_no_token_no_request(
    api: tuple[str, list[tuple[str, str, dict[str, object], str]]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    with pytest.raises(PublishError, match="GITHUB_TOKEN"):
        notify.post(GitHub("o/r", "issue", 0, api[0]), "t", (REG,))
    assert api[1] == []
