/// Open a NOFS scope over a whole function nofsbot planned: work (or a
/// kthread) whose progress memory reclaim waits for starts with no scope,
/// so it gets its own, saved first thing and restored before every return
/// and, unless its last statement returns, after that statement ("tail":
/// [line, column] where it starts). The planned boundaries come from the
/// JSON file named by $NOFSBOT_SCOPES:
/// [{"path", "function", "line", "exits", "lock", "top": true, "tail"}].
//
// Confidence: High (the boundaries are decided by nofsbot's analysis)
// Copyright: (C) nofsbot authors. GPL-2.0-only.
// Options: --no-includes --include-headers

virtual patch
virtual report
virtual context
virtual org

@initialize:python@
@@
import json
import os

TOP = set()
TAIL = set()
if os.environ.get("NOFSBOT_SCOPES"):
    with open(os.environ["NOFSBOT_SCOPES"]) as f:
        for b in json.load(f):
            if b.get("top"):
                # one file at a time; by name, since spatch renames the file
                # it works on once a rule has changed it
                TOP.add(b["function"])
                if b.get("tail"):
                    TAIL.add((b["function"], *b["tail"]))
FUNCS = set()


def scoped(p):
    # after a rule changed the file, spatch works on a copy of it: by name
    return p[0].current_element in FUNCS


def explicit_return(p):
    """A return statement of the source (the position spans `return`), not
    the implicit one at the end of a void function."""
    with open(p[0].file) as f:
        line = f.read().splitlines()[int(p[0].line) - 1]
    return line[int(p[0].column) : int(p[0].column_end)] == "return"


def last(p):
    """The last statement of a planned function that runs off its end."""
    return (p[0].current_element, int(p[0].line), int(p[0].column)) in TAIL

// first, while the lines are still those of the plan
@tail depends on patch@
statement S;
position pt : script:python() { last(pt) };
@@
  S@pt
+ memalloc_nofs_restore(nofs_flags);

@top depends on patch@
identifier f;
position pb : script:python() { pb[0].current_element in TOP };
@@
f@pb(...) {
+ unsigned int nofs_flags = memalloc_nofs_save();
  ...
}

@script:python depends on top@
f << top.f;
@@
FUNCS.add(f)

@ret depends on top@
position pr : script:python() { scoped(pr) and explicit_return(pr) };
expression E;
@@
(
+ memalloc_nofs_restore(nofs_flags);
  return@pr;
|
+ memalloc_nofs_restore(nofs_flags);
  return@pr E;
)
