"""Reading a series: an mbox or .patch files, a revision range, a pull request.

Everything becomes a Series of Patch values, checked before anything is
applied: each patch holds a text diff unidiff can read, no binary diff, no
path that leaves the tree, a complete and not too long series.
"""

from __future__ import annotations

import email
import email.policy
import logging
import posixpath
import re
from dataclasses import replace
from email.message import EmailMessage
from pathlib import Path

from unidiff.errors import UnidiffParseError
from unidiff.patch import PatchSet

import nofsbot.tools.git as gitcli
from nofsbot.errors import PatchError
from nofsbot.review.lines import strip_prefix
from nofsbot.review.series import Patch, PullRef, Series
from nofsbot.tools.github import Pull

log = logging.getLogger(__name__)

MAX_PATCHES = 500

_FROM_LINE = re.compile(r"^From \S+")
_HEADER = re.compile(r"^[A-Za-z0-9-]+:")
_NUMBER = re.compile(r"^\[[^\]]*?(\d+)/(\d+)\s*\]")
_BASE = re.compile(r"^base-commit:\s*([0-9a-f]{7,40})\s*$", re.M)
_MSGID = re.compile(r"<[^<>\s]+>")
_SYMLINK = re.compile(r"^(?:new file |deleted file |new |old )mode 120000$", re.M)


def read_files(paths: list[Path]) -> Series:
    """An mbox, or .patch files (each a mail or a bare diff), in the order given."""
    messages: list[EmailMessage | str] = []
    for p in paths:
        try:
            text = p.read_bytes().decode("utf-8", errors="surrogateescape")
        except OSError as e:
            raise PatchError(f"{p}: {e.strerror}") from e
        messages += _split(text, str(p))
    return _series(messages, ", ".join(map(str, paths)))


def read_range(tree: Path, rev_range: str) -> Series:
    """The commits of REV_RANGE in TREE, as `git format-patch` writes them;
    the base is the parent of the first."""
    commits = gitcli.range_commits(tree, rev_range)
    if commits is None:
        raise PatchError(f"{rev_range}: neither a file nor a revision range in {tree}")
    if not commits:
        raise PatchError(f"{rev_range}: no commits in that range")
    _check_count(len(commits))
    base = gitcli.commit_of(tree, f"{commits[0]}^")
    if base is None:
        raise PatchError(f"{rev_range}: its first commit has no parent to apply it to")
    series = _series(_split(gitcli.format_patch_mbox(tree, rev_range), rev_range), rev_range)
    return Series(series.patches, base, rev_range)


def from_pull(pull: Pull) -> Series:
    """A pull request as one patch: the diff of its files against its base."""
    parts = []
    for f in pull.files:
        if f.patch is None:
            raise PatchError(
                f"{pull.repo}#{pull.number}: {f.path}: a binary diff (or one too large "
                "for GitHub to show); nofsbot reviews text diffs only"
            )
        old = f.previous_path or f.path
        head = [f"diff --git a/{old} b/{f.path}"]
        if f.status == "added":
            head += ["new file mode 100644", "--- /dev/null", f"+++ b/{f.path}"]
        elif f.status == "removed":
            head += ["deleted file mode 100644", f"--- a/{f.path}", "+++ /dev/null"]
        else:
            if old != f.path:
                head += [f"rename from {old}", f"rename to {f.path}"]
            if f.patch:
                head += [f"--- a/{old}", f"+++ b/{f.path}"]
        body = f.patch if not f.patch or f.patch.endswith("\n") else f.patch + "\n"
        parts.append("\n".join(head) + "\n" + body)
    diff = "".join(parts)
    name = f"{pull.repo}#{pull.number}"
    patch = Patch(1, pull.title, diff, _paths(diff, name), author=pull.author)
    ref = PullRef(pull.repo, pull.number, pull.head, pull.url)
    return Series((patch,), pull.base, f"{pull.repo}#{pull.number}", ref)


def _split(text: str, source: str) -> list[EmailMessage | str]:
    """The mails of an mbox (or one mail without a From_ line), or a bare diff."""
    lines = text.splitlines(keepends=True)
    if not lines:
        raise PatchError(f"{source}: empty")
    if _is_diff_start(lines, 0):
        return [text]
    starts = [
        i
        for i, line in enumerate(lines)
        if _FROM_LINE.match(line)
        and (i == 0 or not lines[i - 1].strip())
        and i + 1 < len(lines)
        and _HEADER.match(lines[i + 1])
    ]
    if not starts:
        if _HEADER.match(lines[0]) and any(not ln.strip() for ln in lines):
            starts, lines = [0], ["From nofsbot\n", *lines]
        else:
            raise PatchError(f"{source}: not an mbox, a mail or a diff")
    elif starts[0] != 0 and any(ln.strip() for ln in lines[: starts[0]]):
        raise PatchError(f"{source}: malformed mbox: text before the first message")
    _check_count(len(starts) - 1)  # a cover letter may come with the patches
    out: list[EmailMessage | str] = []
    for a, b in zip(starts, [*starts[1:], len(lines)], strict=True):
        msg = email.message_from_string("".join(lines[a + 1 : b]), policy=email.policy.default)
        if not isinstance(msg, EmailMessage) or msg.defects or not msg["Subject"]:
            raise PatchError(f"{source}: malformed mbox: message at line {a + 1} has no subject")
        out.append(msg)
    return out


def _is_diff_start(lines: list[str], i: int) -> bool:
    line = lines[i]
    if line.startswith("diff --git "):
        return True
    return line.startswith("--- ") and i + 1 < len(lines) and lines[i + 1].startswith("+++ ")


def _series(messages: list[EmailMessage | str], source: str) -> Series:
    patches: list[tuple[int, Patch]] = []  # (number in the subject or position, patch)
    base = None
    totals: set[int] = set()
    for msg in messages:
        if isinstance(msg, str):
            name = f"{source}: diff {len(patches) + 1}"
            patches.append((len(patches) + 1, Patch(0, name, msg, _paths(msg, name))))
            _check_count(len(patches))
            continue
        subject = " ".join(str(msg["Subject"]).split())
        body = _body(msg)
        found = _BASE.search(body)
        base = base or (found.group(1) if found else None)
        n = _NUMBER.match(subject)
        diff = _diff(body)
        if (n and int(n.group(1)) == 0) or (diff is None and subject.lower().startswith("re:")):
            continue  # a cover letter, a reply
        if diff is None:
            raise PatchError(f"{source}: '{subject}' holds no diff")
        if n:
            totals.add(int(n.group(2)))
        refs = f"{msg['References'] or ''} {msg['In-Reply-To'] or ''}"
        patch = Patch(
            0,
            subject,
            diff,
            _paths(diff, subject),
            message_id=_msgid(str(msg["Message-ID"] or "")),
            author=_header(msg, "From"),
            date=_header(msg, "Date"),
            to=_addresses(msg, "To"),
            cc=_addresses(msg, "Cc"),
            references=tuple(dict.fromkeys(_MSGID.findall(refs))),
        )
        patches.append((int(n.group(1)) if n else len(patches) + 1, patch))
        _check_count(len(patches))
    if not patches:
        raise PatchError(f"{source}: no patches in it")
    if totals:
        total = max(totals)
        numbers = [n for n, _ in patches]
        missing = sorted(set(range(1, total + 1)) - set(numbers))
        if len(totals) > 1 or missing or len(set(numbers)) != len(numbers):
            what = f"patch {', '.join(map(str, missing))} of {total} missing" if missing else ""
            raise PatchError(
                f"{source}: incomplete series: {what or 'patches of more than one series'}"
            )
        patches.sort(key=lambda np: np[0])
    return Series(tuple(replace(p, index=i) for i, (_, p) in enumerate(patches, 1)), base, source)


def _check_count(n: int) -> None:
    if n > MAX_PATCHES:
        raise PatchError(
            f"more than {MAX_PATCHES} patches: nofsbot reviews at most {MAX_PATCHES} at once; "
            "split the series"
        )


def _body(msg: EmailMessage) -> str:
    """The text of MSG: its text parts in order (a diff may come attached as
    text/x-patch)."""
    out = []
    for part in msg.walk():
        if part.is_multipart() or part.get_content_maintype() != "text":
            continue
        try:
            content = part.get_content()
        except (LookupError, ValueError) as e:
            raise PatchError(f"'{msg['Subject']}': cannot decode the body: {e}") from e
        if isinstance(content, str):
            out.append(content)
    return "\n".join(out)


def _diff(body: str) -> str | None:
    """The diff in a mail body: from its first file header to the signature."""
    lines = body.splitlines(keepends=True)
    start = next((i for i in range(len(lines)) if _is_diff_start(lines, i)), None)
    if start is None:
        return None
    end = len(lines)
    for i in range(len(lines) - 1, start, -1):
        if lines[i].rstrip("\n") == "-- ":
            # the signature: "-- " and the git version after the last hunk
            tail = lines[i + 1 :]
            if all(not t.startswith(("+", "-", " ", "@", "\\")) for t in tail):
                end = i
            break
    return "".join(lines[start:end])


def _paths(diff: str, name: str) -> tuple[str, ...]:
    """The files DIFF touches; PatchError for a binary diff, an unreadable
    one, or a path that leaves the tree."""
    try:
        patch = PatchSet(diff)
    except UnidiffParseError as e:
        raise PatchError(f"{name}: malformed diff: {e}") from e
    if not len(patch):
        raise PatchError(f"{name}: no diff in it")
    if _SYMLINK.search(diff):
        raise PatchError(f"{name}: a symbolic link; nofsbot reviews regular files only")
    out: set[str] = set()
    for pf in patch:
        if pf.is_binary_file or "GIT binary patch" in str(pf):
            raise PatchError(f"{name}: {pf.path}: a binary diff; nofsbot reviews text diffs only")
        for raw in (pf.source_file, pf.target_file):
            if raw == "/dev/null":
                continue
            if raw.startswith("/"):
                raise PatchError(f"{name}: {raw}: an absolute path; diffs name files in the tree")
            path = strip_prefix(raw)
            parts = (path or "").split("/")
            if not path or ".." in parts or parts[0] == ".git" or posixpath.isabs(path):
                raise PatchError(f"{name}: {raw}: the path leaves the tree")
            out.add(path)
    return tuple(sorted(out))


def _msgid(value: str) -> str | None:
    found = _MSGID.search(value)
    return found.group(0) if found else None


def _header(msg: EmailMessage, name: str) -> str | None:
    value = msg[name]
    return " ".join(str(value).split()) if value else None


def _addresses(msg: EmailMessage, name: str) -> tuple[str, ...]:
    return tuple(
        " ".join(str(a).split()) for v in msg.get_all(name, []) for a in getattr(v, "addresses", ())
    )
