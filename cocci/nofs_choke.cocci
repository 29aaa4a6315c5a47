/// Move a mapping-wide NOFS mask to the one function that allocates page
/// cache on that mapping (its choke point): wrap each planned page-cache
/// call there in memalloc_nofs_save()/memalloc_nofs_restore(). The mask
/// itself becomes GFP_KERNEL through nofs_flags.cocci, in the same commit.
/// The planned calls come from the JSON file named by $NOFSBOT_SCOPES:
/// [{"path", "function", "line", "exits": [], "lock"}]; only a call that is
/// a statement of its own (`page = grab_cache_page(..);`) is wrapped.
//
// Confidence: High (the choke points are decided by nofsbot's analysis)
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

CALLS = set()
if os.environ.get("NOFSBOT_SCOPES"):
    with open(os.environ["NOFSBOT_SCOPES"]) as f:
        for b in json.load(f):
            CALLS.add((b["path"], int(b["line"])))


def at(p, where):
    path = p[0].file
    if path.startswith("./"):
        path = path[2:]
    return (path, int(p[0].line)) in where

@choke depends on patch exists@
identifier f;
expression E;
position p : script:python() { at(p, CALLS) };
@@
f(...) {
  ... when any
+ /* The page cache of this mapping must not recurse into the filesystem. */
+ nofs_flags = memalloc_nofs_save();
  E@p;
+ memalloc_nofs_restore(nofs_flags);
  ... when any
}

@decl depends on choke@
identifier choke.f;
@@
f(...) {
+ unsigned int nofs_flags;
  ...
}
