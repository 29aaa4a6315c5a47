/// Convert the GFP_NOFS sites nofsbot planned: redundant and unneeded ones
/// to GFP_KERNEL, mixed ones to GFP_KERNEL | __GFP_NOLOCKDEP, no-op masks
/// (GFP_KERNEL | GFP_NOFS) to GFP_KERNEL, and computed masks (gfp & ~__GFP_FS)
/// to the mask itself. Every other bit of the mask is kept. XFS 6.1's
/// kmem_alloc/kmem_zalloc(.., KM_NOFS) become kmalloc/kzalloc with the
/// semantics of kmem_alloc(): without KM_MAYFAIL its retry loop never
/// fails (__GFP_NOFAIL; a NULL check right after the call is removed), with
/// it one try with __GFP_RETRY_MAYFAIL, still silent on failure
/// (__GFP_NOWARN, which kmem_flags_convert() adds).
///
/// Only the positions listed in the JSON file named by $NOFSBOT_SITES are
/// touched ([{"path", "line", "column", "class"}], column 1-based); the
/// decision and its evidence come from `nofsbot scan`. All alternatives are
/// one rule so that every position refers to the file as it was read.
//
// Confidence: High (the positions are decided by nofsbot's analysis)
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

SITES = {}
if os.environ.get("NOFSBOT_SITES"):
    with open(os.environ["NOFSBOT_SITES"]) as f:
        for s in json.load(f):
            SITES[(s["path"], int(s["line"]), int(s["column"]))] = s["class"]


def planned(p, *classes):
    path = p[0].file
    if path.startswith("./"):
        path = path[2:]
    return SITES.get((path, int(p[0].line), int(p[0].column) + 1)) in classes

// kmem_alloc() without KM_MAYFAIL never returns NULL and neither does the
// kmalloc(.., __GFP_NOFAIL) it becomes: the NULL check right after it is
// dead. This rule finds the assignments; `nofail` below removes the check.
@nofail_call depends on patch@
position p : script:python() { planned(p, "redundant", "unneeded", "mixed") };
expression x, S;
@@
(
  x = kmem_alloc(S, KM_NOFS@p);
|
  x = kmem_zalloc(S, KM_NOFS@p);
)

@flags depends on patch@
position pk : script:python() { planned(pk, "redundant", "unneeded") };
position pm : script:python() { planned(pm, "mixed") };
position pn : script:python() { planned(pn, "noop-mask") };
position pc : script:python() { planned(pc, "redundant", "unneeded") };
expression E, S;
@@
(
- GFP_KERNEL | GFP_NOFS@pn
+ GFP_KERNEL
|
- GFP_NOFS@pn | GFP_KERNEL
+ GFP_KERNEL
|
- GFP_NOFS@pk
+ GFP_KERNEL
|
- GFP_NOFS@pm
+ GFP_KERNEL | __GFP_NOLOCKDEP
|
- E & ~__GFP_FS@pc
+ E
|
- mapping_gfp_constraint(E, ~__GFP_FS@pc)
+ mapping_gfp_mask(E)
|
- kmem_alloc(S, KM_NOFS@pk)
+ kmalloc(S, GFP_KERNEL | __GFP_NOFAIL)
|
- kmem_alloc(S, KM_NOFS@pk | KM_MAYFAIL)
+ kmalloc(S, GFP_KERNEL | __GFP_NOWARN | __GFP_RETRY_MAYFAIL)
|
- kmem_zalloc(S, KM_NOFS@pk)
+ kzalloc(S, GFP_KERNEL | __GFP_NOFAIL)
|
- kmem_zalloc(S, KM_NOFS@pk | KM_MAYFAIL)
+ kzalloc(S, GFP_KERNEL | __GFP_NOWARN | __GFP_RETRY_MAYFAIL)
|
- kmem_alloc(S, KM_NOFS@pm)
+ kmalloc(S, GFP_KERNEL | __GFP_NOLOCKDEP | __GFP_NOFAIL)
|
- kmem_alloc(S, KM_NOFS@pm | KM_MAYFAIL)
+ kmalloc(S, GFP_KERNEL | __GFP_NOLOCKDEP | __GFP_NOWARN | __GFP_RETRY_MAYFAIL)
|
- kmem_zalloc(S, KM_NOFS@pm)
+ kzalloc(S, GFP_KERNEL | __GFP_NOLOCKDEP | __GFP_NOFAIL)
|
- kmem_zalloc(S, KM_NOFS@pm | KM_MAYFAIL)
+ kzalloc(S, GFP_KERNEL | __GFP_NOLOCKDEP | __GFP_NOWARN | __GFP_RETRY_MAYFAIL)
)

@nofail depends on patch@
expression nofail_call.x, nofail_call.S;
statement S1;
@@
(
  x = kmalloc(S, GFP_KERNEL | __GFP_NOFAIL);
|
  x = kzalloc(S, GFP_KERNEL | __GFP_NOFAIL);
|
  x = kmalloc(S, GFP_KERNEL | __GFP_NOLOCKDEP | __GFP_NOFAIL);
|
  x = kzalloc(S, GFP_KERNEL | __GFP_NOLOCKDEP | __GFP_NOFAIL);
)
- if (!x) S1

@found depends on report || org || context@
position p : script:python() { planned(p, "redundant", "unneeded", "mixed", "noop-mask") };
@@
GFP_NOFS@p

@script:python depends on report@
p << found.p;
@@
coccilib.report.print_report(p[0], "planned NOFS site")
