"""`nofsbot review --github` against a local server that speaks the few REST
endpoints PyGithub uses: the repository, the pull request, its files, and
the review posted on it."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from nofsbot.cli import main
from tests.conftest import DATA, committed, git

TOKEN = "ghp_test-token-never-printed"


class FakeGitHub(ThreadingHTTPServer):
    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server_address[1]}"
        self.pull: dict[str, object] = {}
        self.files: list[dict[str, object]] = []
        self.requests: list[tuple[str, str, str | None, object]] = []


class Handler(BaseHTTPRequestHandler):
    server: FakeGitHub

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _send(self, status: int, doc: object) -> None:
        data = json.dumps(doc).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _record(self, body: object = None) -> str:
        path = self.path.split("?")[0]
        self.server.requests.append((self.command, path, self.headers.get("Authorization"), body))
        return path

    def do_GET(self) -> None:
        path, base = self._record(), self.server.url
        if path == "/repos/o/linux":
            self._send(200, {"full_name": "o/linux", "url": f"{base}/repos/o/linux"})
        elif path == "/repos/o/linux/pulls/7":
            self._send(200, self.server.pull)
        elif path == "/repos/o/linux/pulls/7/files":
            self._send(200, self.server.files)
        else:
            self._send(404, {"message": "Not Found"})

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if self._record(body) == "/repos/o/linux/pulls/7/reviews":
            self._send(200, {"id": 1, "html_url": "http://example.org/o/linux/pull/7#review-1"})
        else:
            self._send(404, {"message": "Not Found"})


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    server = FakeGitHub()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def pull_request(server: FakeGitHub, repo: Path, edits: dict[str, tuple[str, str]]) -> None:
    """Serve pull request 7: EDITS (path: old -> new) on the tree's HEAD, its
    files endpoint holding the hunks as GitHub gives them."""
    head = git(repo, "rev-parse", "HEAD").strip()
    for path, (old, new) in edits.items():
        text = (repo / path).read_text()
        (repo / path).write_text(text.replace(old, new))
        diff = git(repo, "diff", "--", path)
        (repo / path).write_text(text)
        hunks = diff[diff.index("@@") :]
        server.files.append({"filename": path, "status": "modified", "patch": hunks})
    base = server.url
    server.pull = {
        "url": f"{base}/repos/o/linux/pulls/7",
        "number": 7,
        "title": "rv: allocate inside the handle, scope the section",
        "html_url": "http://example.org/o/linux/pull/7",
        "user": {"login": "dev"},
        "base": {"sha": head, "ref": "master"},
        "head": {"sha": "f" * 40, "ref": "topic"},
    }


# a GFP_NOFS added inside the jbd2 handle of cl_in_handle()
REDUNDANT = {
    "fs/rv/classes.c": ("\tf->a = kmalloc(8, GFP_KERNEL);\n", "\tf->a = kmalloc(8, GFP_NOFS);\n")
}


def fixture_repo(tmp_path: Path, *names: str) -> Path:
    """A committed tree holding the fixtures NAMES of tests/data/review in fs/rv."""
    files = {f"fs/rv/{n}": (DATA / "review" / n).read_text() for n in names}
    return committed(tmp_path / "linux", files)


def test_one_review_with_line_comments(
    github: FakeGitHub,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    repo = fixture_repo(tmp_path, "classes.c", "scopes.c")
    pull_request(
        github,
        repo,
        {
            # redundant inside the jbd2 handle: on an added line, a line comment
            **REDUNDANT,
            # the goto skips the restore: the leak is at `return err;`, a
            # context line, so it goes into the review body
            "fs/rv/scopes.c": (
                "\tmutex_lock(&f->lock);\n\tf->a = kmalloc(8, GFP_KERNEL);\n",
                "\tunsigned int nofs;\n\n\tmutex_lock(&f->lock);\n"
                "\tnofs = memalloc_nofs_save();\n\tf->a = kmalloc(8, GFP_KERNEL);\n",
            ),
        },
    )
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    argv = ["-vv", "review", "--tree", str(repo), "--github", "o/linux#7"]
    assert main([*argv, "--github-url", github.url]) == 1
    out, err = capsys.readouterr()
    assert TOKEN not in out + err + caplog.text  # PyGithub's debug log included
    assert "/repos/o/linux/pulls/7/reviews" in caplog.text
    assert "posted the review: http://example.org/o/linux/pull/7#review-1" in caplog.text
    posts = [r for r in github.requests if r[0] == "POST"]
    assert len(posts) == 1
    _, path, auth, body = posts[0]
    assert path == "/repos/o/linux/pulls/7/reviews" and auth == f"token {TOKEN}"
    assert isinstance(body, dict)
    assert body["event"] == "COMMENT"
    assert [(c["path"], c["line"], c["side"]) for c in body["comments"]] == [
        ("fs/rv/classes.c", 13, "RIGHT")
    ]
    assert body["comments"][0]["body"].startswith("warning: redundant-nofs: GFP_NOFS is redundant")
    assert (
        body["body"]
        .splitlines()[0]
        .endswith(
            "2 findings (1 error, 1 warning) in 1 of 1 patch (base "
            f"{git(repo, 'rev-parse', 'HEAD').strip()[:12]})."
        )
    )
    assert "fs/rv/scopes.c:21 sc_section(): error: unbalanced-scope:" in body["body"]
    # the reads PyGithub made, all with the token
    gets = [(m, p) for m, p, a, _ in github.requests if m == "GET" and a == f"token {TOKEN}"]
    assert gets[:3] == [
        ("GET", "/repos/o/linux"),
        ("GET", "/repos/o/linux/pulls/7"),
        ("GET", "/repos/o/linux/pulls/7/files"),
    ]


def test_no_post_and_errors(
    github: FakeGitHub,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    repo = fixture_repo(tmp_path, "classes.c")
    pull_request(github, repo, REDUNDANT)
    argv = ["review", "--tree", str(repo), "--github-url", github.url, "--github"]
    assert main([*argv, "o/linux#7", "--no-post", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["findings"][0]["kind"] == "redundant-nofs"
    assert not [r for r in github.requests if r[0] == "POST"]
    # posting without a token is a clear error
    assert main([*argv, "o/linux#7"]) == 1
    assert "needs a GitHub token" in capsys.readouterr().err
    # an unknown pull request, a bad spec
    assert main([*argv, "o/linux#8"]) == 1
    assert "GitHub: o/linux#8: 404 Not Found" in capsys.readouterr().err
    assert main([*argv, "linux#8"]) == 1
    assert "expected OWNER/REPO#NUMBER" in capsys.readouterr().err


def test_a_fetched_head_puts_the_pull_request_on_its_merge_base(
    github: FakeGitHub, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # the base branch moved on (two lines on top of classes.c) after the
    # pull request branched off; with its head fetched, the diff goes onto
    # the merge base, as GitHub made it, and keeps the head's line numbers
    repo = fixture_repo(tmp_path, "classes.c")
    fork = git(repo, "rev-parse", "HEAD").strip()
    pull_request(github, repo, REDUNDANT)
    path = repo / "fs/rv/classes.c"
    text = path.read_text()
    path.write_text(text.replace(*REDUNDANT["fs/rv/classes.c"]))
    git(repo, "checkout", "-q", "-b", "topic")
    git(repo, "commit", "-qam", "rv: the pull request")
    github.pull["head"] = {"sha": git(repo, "rev-parse", "HEAD").strip(), "ref": "topic"}
    git(repo, "checkout", "-q", "master")
    path.write_text("/* moved on */\n\n" + text)
    git(repo, "commit", "-qam", "rv: the base branch moves on")
    github.pull["base"] = {"sha": git(repo, "rev-parse", "HEAD").strip(), "ref": "master"}
    argv = ["review", "--tree", str(repo), "--github-url", github.url, "--github", "o/linux#7"]
    assert main([*argv, "--no-post", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["base"] == fork
    assert [(f["kind"], f["line"]) for f in doc["findings"]] == [("redundant-nofs", 13)]
