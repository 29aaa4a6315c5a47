"""The publish stage: turn a branch of nofsbot commits into series a
maintainer can apply with `b4 am`.

`publish(opts)` splits the commits by maintainer tree (the MAINTAINERS
section whose `F:` pattern matches their files most specifically), at most
15 patches a series; rewrites each commit message into its final form
(publish/messages.py) on commits made afresh onto the base, so every series
applies on its own; asks get_maintainer.pl who gets it (To: maintainers and
the section's lists, Cc: reviewers and the rest) and checks that every
touched file's maintainers and lists are addressed; and writes, per series,
numbered patches with a cover letter (per-class summary, diffstat,
`base-commit:`, `change-id:`), one mbox and `series.json`. Publishing again
into the same directory makes the next version, with a changelog and a
range-diff against the previous one.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nofsbot.tools.git as gitcli
import nofsbot.tools.spatch as coccinelle
from nofsbot import __version__, outputs
from nofsbot.drafts import parse_draft, path_prefix
from nofsbot.errors import PublishError
from nofsbot.publish import cover, messages, sections, versions
from nofsbot.tools.maintainers import Recipient, recipients

log = logging.getLogger(__name__)

MAX_PATCHES = 15
_TO_ROLES = ("maintainer", "supporter", "odd fixer", "chief penguin")


@dataclass(frozen=True)
class PublishOptions:
    tree: Path  # a git repository of the kernel holding the commits
    base: str
    commits: tuple[str, ...]  # oldest first
    out: Path
    verified: tuple[tuple[str, str], ...] = ()  # (commit, how it was verified)
    version: int | None = None  # default: one more than the last in OUT, else 1
    signoff: str | None = None  # "Name <mail>"; default: git's user.name/email
    max_patches: int = MAX_PATCHES
    to: tuple[str, ...] = ()
    cc: tuple[str, ...] = ()
    sender: str | None = None  # "Name <mail>": the cover letter's From: and the
    # Message-IDs' domain; default: git's committer identity


@dataclass(frozen=True)
class Series:
    directory: str
    section: str
    change_id: str
    version: int
    subject: str  # of the cover letter, without [PATCH ..]
    files: tuple[str, ...]  # cover letter first
    mbox: str
    to: tuple[str, ...]
    cc: tuple[str, ...]
    missing: tuple[str, ...]  # maintainers or lists of a touched file not addressed
    base: str
    tip: str
    local_base: str = ""  # the local import the base is on (no public tree has it)


@dataclass(frozen=True)
class PublishResult:
    series: tuple[Series, ...]


@dataclass(frozen=True)
class _Patch:
    info: gitcli.CommitInfo
    subject: str
    klass: str
    rule: str  # the semantic patches that made it, space-separated
    message: str
    notes: str  # how it was generated and verified: below the --- of its mail


def publish(opts: PublishOptions) -> PublishResult:
    if not opts.commits:
        raise PublishError("no commits to publish")
    if opts.max_patches < 1:
        raise PublishError("a series needs room for at least one patch")
    infos = [gitcli.commit_info(opts.tree, c) for c in opts.commits]
    table = sections.load(opts.tree)
    groups: dict[str, list[gitcli.CommitInfo]] = {}
    for info in infos:
        if not info.files:
            log.info("skipping %s: it changes no file", info.sha[:12])
            continue
        sec = sections.section_for(table, info.files[0])
        groups.setdefault(sec.name if sec else "", []).append(info)
    verified = dict(opts.verified)
    local = gitcli.local_import(opts.tree, opts.base) or ""
    if local:
        log.warning(
            "base-commit %s is on a local import (%s) that no public tree has; "
            "the cover letter says so",
            opts.base[:12],
            local,
        )
    signoff = opts.signoff or "{} <{}>".format(*gitcli.identity(opts.tree))
    out: list[Series] = []
    for name, members in groups.items():
        chunks = [
            members[i : i + opts.max_patches] for i in range(0, len(members), opts.max_patches)
        ]
        for part, chunk in enumerate(chunks, 1):
            slug = _slug(chunk[0].files[0], part if len(chunks) > 1 else 0)
            # the chunks of one tree come from one branch: each goes on top
            # of the one before (format-patch lists it as a prerequisite)
            start = out[-1].tip if part > 1 else opts.base
            prereq = f"{out[-1].change_id}:v{out[-1].version}" if part > 1 else ""
            made = _series(opts, name, slug, chunk, verified, signoff, start, prereq, local)
            out.append(made)
    return PublishResult(tuple(out))


def _slug(path: str, part: int) -> str:
    s = re.sub(r"[^a-z0-9]+", "-", path_prefix(path).lower()).strip("-")
    return f"{s}-{part}" if part else s


def _series(
    opts: PublishOptions,
    section: str,
    slug: str,
    chunk: list[gitcli.CommitInfo],
    verified: dict[str, str],
    signoff: str,
    start: str,
    prereq: str,
    local: str,
) -> Series:
    directory = opts.out / slug
    outputs.make_dir(directory)
    state_file = directory / "series.json"
    previous = json.loads(state_file.read_text()) if state_file.exists() else None
    version = opts.version or (int(previous["version"]) + 1 if previous else 1)
    if previous and version <= int(previous["version"]):
        raise PublishError(
            f"{directory} holds v{previous['version']} already: publish v"
            f"{int(previous['version']) + 1} or use another --out"
        )
    repository = str(gitcli.common_dir(opts.tree))
    if previous and not _same_repository(opts.tree, repository, previous):
        where = previous.get("repository") or f"a repository without {previous['tip'][:12]}"
        raise PublishError(
            f"{directory} holds {previous['change_id']} v{previous['version']} of another "
            f"repository ({where}); use another --out"
        )
    dirs = sorted({f.rsplit("/", 1)[0] for c in chunk for f in c.files})
    prefix = messages.subsystem_prefix(
        gitcli.log_subjects(opts.tree, dirs), path_prefix(chunk[0].files[0])
    )
    patches = _final(opts, chunk, prefix, verified, signoff)
    made = _recommit(opts.tree, start, patches)
    tip = made[-1]
    records = [
        cover.PatchRecord(p.subject, gitcli.patch_id(opts.tree, sha))
        for p, sha in zip(patches, made, strict=True)
    ]
    change_id = previous["change_id"] if previous else _change_id(slug, opts.base, records)
    gitcli.update_ref(opts.tree, f"refs/nofsbot/series/{change_id}/v{version}", tip)

    files = sorted({f for c in chunk for f in c.files})
    found = recipients(opts.tree, files)
    to, cc = _split(found, section)
    to = _dedupe([*to, *opts.to])
    cc = [a for a in _dedupe([*cc, *opts.cc]) if a not in to]
    missing = _missing(opts.tree, files, {*to, *cc})

    range_diff = None
    log_text = ""
    earlier = versions.against(previous, version) if previous else None
    if earlier:
        if gitcli.commit_of(opts.tree, earlier.tip) is not None:
            range_diff = f"{earlier.start}..{earlier.tip}"
        log_text = cover.changelog(
            version, earlier.version, earlier.patches, records, earlier.base, opts.base,
            earlier.link,
        )  # fmt: skip
    for stale in directory.glob(_glob(version)):
        stale.unlink()
    written = gitcli.format_patch(
        opts.tree,
        opts.base,
        tip,
        directory,
        version=version,
        to=to,
        cc=cc,
        start=start,
        range_diff=range_diff,
        sender=_name_and_address(opts.sender) if opts.sender else None,
    )
    written = sorted(written)
    for path, p in zip(written[1:], patches, strict=True):
        # notes for the reader of the mail, below the ---: `git am` leaves them out
        outputs.write_text(path, messages.with_notes(path.read_text(), p.notes))
    checks = sorted({v for p in patches if (v := verified.get(p.info.sha, ""))})
    subject = cover.subject(prefix)
    text = cover.blurb(
        section,
        [p.klass for p in patches],
        checks[0] if len(checks) == 1 else "",
        f"Generated by nofsbot {__version__} with spatch {coccinelle.version()}; "
        f"semantic patches: {_rules(patches)}.",
        log_text,
        local,
    )
    since = earlier.version if range_diff and earlier else 0
    message_id = _unique_cover_id(
        written, _fill_cover(written[0], subject, text, change_id, prereq, since), change_id
    )
    mbox = directory / (f"v{version}.mbox")
    outputs.write_text(mbox, mbox_of(written))
    state = {
        "change_id": change_id,
        "version": version,
        "section": section,
        "base": opts.base,
        "start": start,
        "tip": tip,
        "message_id": message_id,
        "patches": [{"subject": r.subject, "patch_id": r.patch_id} for r in records],
        "files": [p.name for p in written],
        "mbox": mbox.name,
        "to": to,
        "cc": cc,
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "sent": previous.get("sent", []) if previous else [],
        "repository": repository,
    }
    state["versions"] = [*(versions.history(previous) if previous else []), versions.entry(state)]
    outputs.write_text(state_file, json.dumps(state, indent=1) + "\n")
    return Series(
        str(directory),
        section,
        change_id,
        version,
        subject,
        tuple(str(p) for p in written),
        str(mbox),
        tuple(to),
        tuple(cc),
        tuple(missing),
        opts.base,
        tip,
        local,
    )


def _unique_cover_id(written: list[Path], message_id: str, change_id: str) -> str:
    """git names a cover letter `<cover.SECONDS.git.ADDRESS>`: two series
    made within a second (the parts of one tree) would share it. The
    change-id's digest goes in, in the cover letter and every reply to it."""
    if not message_id.startswith("<cover."):
        return message_id
    digest = hashlib.sha1(change_id.encode()).hexdigest()[:12]
    unique = message_id.replace(".git.", f".{digest}.git.", 1)
    for f in written:
        f.write_text(f.read_text().replace(message_id, unique))
    return unique


def _name_and_address(ident: str) -> tuple[str, str] | None:
    """'Name <a@b>' as (Name, a@b); None when it is not of that form."""
    m = re.fullmatch(r"\s*(.*?)\s*<([^<>\s]+@[^<>\s]+)>\s*", ident)
    return (m.group(1), m.group(2)) if m else None


def mbox_of(files: list[Path]) -> str:
    """FILES (format-patch output) as one mbox: each message ends with an
    empty line, so the `From ` line of the next starts a message for every
    mbox reader (format-patch files end right after the diff)."""
    return "".join(p.read_text().rstrip("\n") + "\n\n" for p in files)


def _glob(version: int) -> str:
    return f"v{version}-*.patch" if version > 1 else "0*.patch"


def _same_repository(tree: Path, repository: str, previous: dict[str, Any]) -> bool:
    """Whether the series in PREVIOUS was made in TREE (whose git directory is
    REPOSITORY); a series.json that does not say must have its tip in TREE."""
    if previous.get("repository"):
        return bool(previous["repository"] == repository)
    return gitcli.commit_of(tree, previous["tip"]) is not None


def _change_id(slug: str, base: str, records: list[cover.PatchRecord]) -> str:
    """b4's form: date, a slug, twelve hex digits. The digits come from what
    the series is, its base and its patches (their diffs, not the commit ids
    a new run makes afresh): two series of one tree and day differ, the same
    series made again is the same."""
    day = datetime.datetime.now(datetime.UTC).strftime("%Y%m%d")
    what = "\0".join([slug, base, *(r.patch_id for r in records)])
    digest = hashlib.sha1(what.encode()).hexdigest()[:12]
    return f"{day}-nofs-{slug}-{digest}"


def _final(
    opts: PublishOptions,
    chunk: list[gitcli.CommitInfo],
    prefix: str,
    verified: dict[str, str],
    signoff: str,
) -> list[_Patch]:
    drafts = [parse_draft(c.subject, c.body) for c in chunk]
    subjects = messages.unique_subjects(
        [messages.strip_lines(messages.retitle(d.subject, prefix)) for d in drafts],
        [c.files for c in chunk],
    )
    tools = f"nofsbot {__version__}", f"spatch {coccinelle.version()}"
    return [
        _Patch(
            c, s, d.klass, d.rule, messages.final_message(s, d, signoff),
            messages.notes(d.rule, tools, verified.get(c.sha, "")),
        )
        for c, d, s in zip(chunk, drafts, subjects, strict=True)
    ]  # fmt: skip


def _recommit(repo: Path, base: str, patches: list[_Patch]) -> list[str]:
    """The patches as new commits on BASE, in order; a patch that no longer
    applies there (it needed a commit of another series) is an error."""
    parent = base
    made = []
    for p in patches:
        c = p.info
        tree = gitcli.apply_onto(repo, parent, c.sha)
        if tree is None:
            raise PublishError(
                f"{c.sha[:12]} ({c.subject}) does not apply to {base[:12]} without the "
                "commits before it in another series"
            )
        parent = gitcli.commit_tree(repo, tree, parent, p.message)
        made.append(parent)
    return made


def _dedupe(addresses: list[str]) -> list[str]:
    return list(dict.fromkeys(addresses))


def _split(found: list[Recipient], section: str) -> tuple[list[str], list[str]]:
    """To: the section's maintainers and its lists (every section's, when the
    series has none); Cc: reviewers, catch-all lists and the rest."""
    to: list[str] = []
    cc: list[str] = []
    for r in found:
        own = not section or r.section == section
        if own and (r.role in _TO_ROLES or (r.is_list and r.section)):
            to.append(r.address)
        else:
            cc.append(r.address)
    return _dedupe(to), [a for a in _dedupe(cc) if a not in to]


def _missing(tree: Path, files: list[str], addressed: set[str]) -> list[str]:
    """Maintainers and lists get_maintainer.pl names for each file alone that
    the series does not address."""
    out = []
    for f in files:
        for r in recipients(tree, [f]):
            if (r.role in _TO_ROLES or r.is_list) and r.address not in addressed:
                out.append(f"{f}: {r.address} ({r.role})")
    return sorted(set(out))


def _rules(patches: list[_Patch]) -> str:
    rules = sorted({f"cocci/{r}" for p in patches for r in p.rule.split() if r.endswith(".cocci")})
    return ", ".join(rules) or "none"


def _fill_cover(
    path: Path, subject: str, text: str, change_id: str, prereq: str, since: int
) -> str:
    """Put the subject, the text and the change-id into git's cover letter
    template, the range-diff named after the version it is against (SINCE;
    git takes the one before this); return its Message-ID."""
    raw = path.read_text()
    if "*** SUBJECT HERE ***" not in raw or "*** BLURB HERE ***" not in raw:
        raise PublishError(f"{path}: not a git format-patch cover letter template")
    raw = raw.replace("*** SUBJECT HERE ***", subject, 1).replace("*** BLURB HERE ***", text, 1)
    extra = f"\nprerequisite-change-id: {prereq}" if prereq else ""
    raw = re.sub(
        r"^(base-commit: [0-9a-f]+)$", rf"\1\nchange-id: {change_id}{extra}", raw, flags=re.M
    )
    if since:
        raw = re.sub(
            r"^Range-diff against v\d+:$", f"Range-diff against v{since}:", raw, flags=re.M
        )
    outputs.write_text(path, raw)
    m = re.search(r"^Message-I[dD]: (<[^>]+>)", raw, re.M)
    return m.group(1) if m else ""
