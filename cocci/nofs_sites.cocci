/// Report every use of GFP_NOFS and XFS's KM_NOFS with the function it is in.
/// nofsbot uses this bare search as the reference for its own site finding
/// (function attribution and speed, see bench/).
//
// Confidence: High
// Copyright: (C) nofsbot authors. GPL-2.0-only.
// Options: --no-includes --include-headers

virtual report
virtual org
virtual context
virtual patch

@r depends on report || org || context@
position p;
@@
(
 GFP_NOFS@p
|
 KM_NOFS@p
)

@script:python depends on report@
p << r.p;
@@
coccilib.report.print_report(p[0], "NOFS in " + p[0].current_element)

@script:python depends on org@
p << r.p;
@@
coccilib.org.print_todo(p[0], "NOFS in " + p[0].current_element)
