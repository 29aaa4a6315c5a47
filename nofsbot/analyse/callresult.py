"""Where a call's result goes and where it is tested: `error =
xfs_trans_alloc(..)` stores it in a local, `if (error)` (or an `else if`
naming it) tells the call's failure from its success. Scopes, held locks
and extraction use these to open a provider's scope, or count a lock as
taken, on the success path only."""

from __future__ import annotations

import re

from tree_sitter import Node

from nofsbot.analyse.syntax import decl_name, fold


def result_var(call: Node) -> str | None:
    """`error = xfs_trans_alloc(..)`, `handle_t *h = ocfs2_start_trans(..)`:
    the local the call's result goes to."""
    p = call.parent
    while p is not None and p.type == "parenthesized_expression":
        p = p.parent
    if p is None:
        return None
    if p.type == "assignment_expression":
        left = p.child_by_field_name("left")
        return fold(left.text) if left is not None and left.type == "identifier" else None
    if p.type == "init_declarator":
        return decl_name(p.child_by_field_name("declarator"))
    return None


def assigned(call: Node) -> Node | None:
    """What the result of CALL is stored in: the left side of `x->wq =
    alloc_workqueue(..)`, or the declarator of an initialised declaration."""
    p = call.parent
    while p is not None and p.type == "parenthesized_expression":
        p = p.parent
    if p is not None and p.type == "assignment_expression":
        return p.child_by_field_name("left")
    if p is not None and p.type == "init_declarator":
        d = p.child_by_field_name("declarator")
        while d is not None and d.type == "pointer_declarator":
            d = d.child_by_field_name("declarator")
        return d
    return None


def handles_out(call: Node) -> set[str]:
    """The locals a call hands a result to: the one its result is assigned
    to and each `&local` argument (`xfs_trans_alloc(.., &tp)`)."""
    out = {v} if (v := result_var(call)) else set()
    args = call.child_by_field_name("arguments")
    for a in args.named_children if args is not None else ():
        if a.type == "pointer_expression" and (a.text or b"").startswith(b"&"):
            inner = a.child_by_field_name("argument")
            if inner is not None and inner.type == "identifier":
                out.add(fold(inner.text))
    return out


FAILED_MARK = "\x00begin\x00"


def failed_mark(ci: int, var: str, pointer: bool) -> str:
    """The prefix of a condition key that tests the result of call CI."""
    return f"{FAILED_MARK}{ci}\x00{var}\x00{int(pointer)}\x00"


# tests true when a call's result says it failed
_FAILURE_TESTS = (
    "IS_ERR({v})",
    "IS_ERR_OR_NULL({v})",
    "unlikely(IS_ERR({v}))",
    "{v} == NULL",
    "{v} < 0",
    "{v} != 0",
)


# `var == -ENOENT`: true only when the result is that failure
_ERRNO_TEST = re.compile(r"(\w+) == -E[A-Z0-9]+")


def else_if_tests(test: Node, var: str) -> list[Node]:
    """TEST, the condition of an `if`, and the conditions naming VAR of the
    tests of VAR right after it: an `else if` ladder (`if (error ==
    -ENOENT) continue; else if (error) break;`) or the `if` statements that
    follow (`if (error == -ENOENT) return 0; if (error) return error;`),
    while none of them assigns VAR."""
    out = [test]
    node = test.parent
    while node is not None and node.type == "if_statement":
        if _assigned_from(fold(node.text), var):
            break
        alt = node.child_by_field_name("alternative")
        if alt is not None and alt.type == "else_clause" and alt.named_children:
            alt = alt.named_children[0]
        if alt is None:
            alt = node.next_named_sibling
            while alt is not None and alt.type == "comment":
                alt = alt.next_named_sibling
        if alt is None or alt.type != "if_statement":
            break
        cond = alt.child_by_field_name("condition")
        if cond is None or var not in _WORD.findall(fold(cond.text)):
            break
        out.append(cond)
        node = alt
    return out


def failed_call(key: tuple[str, bool]) -> int | None:
    """The call whose failure KEY, a branch of a test of that call's result
    (marked by extraction: begin_results()), is taken on: `if (error)`
    after `error = f(..)`, `if (IS_ERR(h))`, `if (!p)` for a pointer."""
    text, holds = key
    if not text.startswith(FAILED_MARK):
        return None
    ci, var, pointer, text = text[len(FAILED_MARK) :].split("\x00", 3)
    errno = _ERRNO_TEST.fullmatch(text)
    if text in {t.format(v=var) for t in _FAILURE_TESTS} or (errno and errno.group(1) == var):
        failed = holds
    elif text == var:
        failed = holds != (pointer == "1")  # `if (error)`, `if (!handle)`
    else:
        failed = False
    return int(ci) if failed else None


# an assignment, and (looked at, not taken: `a = b = c` has two) its source
_ASSIGN = re.compile(r"(?<![\w.>])([A-Za-z_]\w*)\s*=(?!=)\s*(?=(\w*))")
_WORD = re.compile(r"\w+")


def _assigned_from(text: str, var: str) -> list[str]:
    """What each assignment to VAR in TEXT assigns it from (the first word)."""
    return [m.group(2) for m in _ASSIGN.finditer(text) if m.group(1) == var]


def result_test(call: Node, var: str, begins: re.Pattern[str]) -> Node | None:
    """The condition that next tests VAR, the result of CALL, in the same
    block: the following statements up to the first `if` naming VAR, as
    long as none of them assigns VAR other than by another begin (`if (error
    == -ENOSPC) { flush; error = xfs_trans_alloc_icreate(..); }`)."""
    stmt = call
    while stmt.parent is not None and stmt.parent.type != "compound_statement":
        stmt = stmt.parent
    sib = stmt.next_named_sibling
    bvar = var.encode()
    for _ in range(4):
        if sib is None:
            return None
        if sib.type == "comment":
            sib = sib.next_named_sibling
            continue
        if bvar not in (sib.text or b""):
            sib = sib.next_named_sibling  # neither tests nor assigns VAR
            continue
        if sib.type == "if_statement":
            cond = sib.child_by_field_name("condition")
            ctext = fold(cond.text) if cond is not None else ""
            if cond is not None and var in _WORD.findall(ctext):
                sources = _assigned_from(fold(sib.text)[len(ctext) :], var)
                if all(begins.fullmatch(f) for f in sources):
                    if not sources:
                        return cond
                    sib = sib.next_named_sibling
                    continue
                return None
        if any(not begins.fullmatch(f) for f in _assigned_from(fold(sib.text), var)):
            return None
        sib = sib.next_named_sibling
    return None
