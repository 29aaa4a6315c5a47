/// Open a NOFS scope for a critical section nofsbot planned: right after the
/// statement that takes a lock memory reclaim also takes, with the restore
/// before every statement that ends the section (the releases). The planned
/// boundaries come from the JSON file named by $NOFSBOT_SCOPES:
/// [{"path", "function", "line", "exits": [lines], "lock"}]. A boundary
/// whose "lock" is "<folio writeback>" starts after the statement that sets
/// a folio under writeback and ends where the writeback ends.
///
/// `when strict`: if any path from the boundary misses every exit, the rule
/// does not match and nothing is changed (nofsbot reports the site).
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

BOUNDARY = set()
WRITEBACK = set()
EXITS = set()
if os.environ.get("NOFSBOT_SCOPES"):
    with open(os.environ["NOFSBOT_SCOPES"]) as f:
        for b in json.load(f):
            starts = WRITEBACK if b.get("lock") == "<folio writeback>" else BOUNDARY
            starts.add((b["path"], int(b["line"])))
            for e in b["exits"]:
                EXITS.add((b["path"], int(e)))


def at(p, where):
    path = p[0].file
    if path.startswith("./"):
        path = path[2:]
    return (path, int(p[0].line)) in where

@scope depends on patch@
identifier f;
statement S1, S2;
position pb : script:python() { at(pb, BOUNDARY) };
position pe : script:python() { at(pe, EXITS) };
@@
f(...) {
  ... when any
  S1@pb
+ /* Memory reclaim takes this lock too: keep it out of the filesystem. */
+ nofs_flags = memalloc_nofs_save();
  ... when strict
+ memalloc_nofs_restore(nofs_flags);
  S2@pe
  ... when any
}

@decl depends on scope@
identifier scope.f;
@@
f(...) {
+ unsigned int nofs_flags;
  ...
}

@writeback depends on patch@
identifier f;
statement S1, S2;
position pb : script:python() { at(pb, WRITEBACK) };
position pe : script:python() { at(pe, EXITS) };
@@
f(...) {
  ... when any
  S1@pb
+ /* Memory reclaim may wait on this writeback: keep it out of the filesystem. */
+ nofs_flags = memalloc_nofs_save();
  ... when strict
+ memalloc_nofs_restore(nofs_flags);
  S2@pe
  ... when any
}

@decl_writeback depends on writeback@
identifier writeback.f;
@@
f(...) {
+ unsigned int nofs_flags;
  ...
}
