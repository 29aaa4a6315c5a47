/* An end given the handle or cookie of the function's own begin closes only
 * that begin's scope. flush_all() stops its handle a second time on a path
 * that cannot run (`stop(h); h = NULL; .. if (h) stop(h)`), and
 * maybe_scoped() restores under the same test it saved under; the walk
 * does not tell those paths apart, and neither may be read as closing the
 * caller's scope. The twin end_it() stops the handle its caller passed: it
 * does close the caller's scope. */
static void flush_all(journal_t *j, int sync)
{
	handle_t *handle = jbd2_journal_start(j, 1);

	if (IS_ERR(handle))
		return;
	if (!sync) {
		jbd2_journal_stop(handle);
		handle = NULL;
	}
	if (handle)
		jbd2_journal_stop(handle);
}

static void maybe_scoped(int c)
{
	unsigned int flags = 0;

	if (c)
		flags = memalloc_nofs_save();
	if (c)
		memalloc_nofs_restore(flags);
}

void outer(journal_t *j)
{
	unsigned int flags = memalloc_nofs_save();

	flush_all(j, 0);
	maybe_scoped(0);
	p = kmalloc(8, GFP_NOFS);			/* expect: redundant always */
	memalloc_nofs_restore(flags);
}

static void end_it(handle_t *h)
{
	jbd2_journal_stop(h);
}

void twin(journal_t *j)
{
	handle_t *handle = jbd2_journal_start(j, 1);

	if (IS_ERR(handle))
		return;
	p = kmalloc(8, GFP_NOFS);			/* expect: redundant always */
	end_it(handle);
	q = kmalloc(8, GFP_NOFS);			/* expect: keep unknown */
}
