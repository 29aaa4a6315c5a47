/// Report a memalloc_nofs_save()/memalloc_noio_save() whose scope some path
/// leaves without the matching restore: a return on the way, or the end of
/// the function. The task would keep PF_MEMALLOC_NOFS/NOIO after returning.
///
/// Only cookies kept in a local variable are checked: a cookie stored in a
/// struct field (tp->t_pflags = memalloc_nofs_save()) is restored elsewhere
/// on purpose. nofsbot runs this on every file its rewrite touches.
//
// Confidence: Moderate (a save and a restore under the same condition,
// `if (nofs) save ... if (nofs) restore`, is reported although it balances)
// Copyright: (C) nofsbot authors. GPL-2.0-only.
// Options: --no-includes --include-headers

virtual report
virtual org
virtual context
virtual patch

@ret exists@
identifier cookie;
identifier save =~ "^memalloc_(nofs|noio)_save$";
identifier restore =~ "^memalloc_(nofs|noio)_restore$";
type T;
position p1, p2;
@@
(
 cookie = save@p1();
|
 T cookie = save@p1();
)
 ... when != restore(cookie)
return@p2 ...;

@end exists@
identifier f, cookie;
identifier save =~ "^memalloc_(nofs|noio)_save$";
identifier restore =~ "^memalloc_(nofs|noio)_restore$";
type T;
position p1;
@@
f(...) {
 ... when any
(
 cookie = save@p1();
|
 T cookie = save@p1();
)
 ... when != restore(cookie)
     when != return ...;
}

@script:python depends on report@
p1 << ret.p1;
p2 << ret.p2;
@@
coccilib.report.print_report(p2[0], "returns without restoring the NOFS scope opened at line %s" % p1[0].line)

@script:python depends on report@
p1 << end.p1;
@@
coccilib.report.print_report(p1[0], "the NOFS scope opened here is not restored before the end of the function")

@script:python depends on org@
p1 << ret.p1;
p2 << ret.p2;
@@
coccilib.org.print_todo(p2[0], "returns without restoring the NOFS scope opened at line %s" % p1[0].line)
