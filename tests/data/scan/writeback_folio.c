/* A folio set under writeback stays so until its I/O completes. Before the
 * task submits that I/O, FS reclaim entered from an allocation may wait on
 * the folio's writeback (shrink_folio_list() with __GFP_FS), which only the
 * submission can end. fx_write_copy() ends the writeback itself, after
 * copying the folio: a scope from the start to the end of the writeback
 * covers its allocations. fx_write_folio() leaves the end to the I/O it
 * submits, so where that is is not followed. The twins allocate before
 * the folio is set under writeback, or in the caller once fx_write_folio()
 * has returned. */
static int fx_write_folio(struct folio *folio, struct fx_io *io)
{
	void *ctx;

	ctx = kmalloc(8, GFP_NOFS);			/* expect: unneeded never */
	folio_start_writeback(folio);
	io->bounce = kmalloc(PAGE_SIZE, GFP_NOFS);	/* expect: keep never */
	fx_submit(io, ctx);
	return 0;
}

static int fx_write_copy(struct folio *folio, struct fx_io *io)
{
	folio_start_writeback(folio);
	io->copy = alloc_page(GFP_NOFS);		/* expect: needs-scope never */
	fx_copy(io->copy, folio);
	folio_end_writeback(folio);
	return fx_queue(io);
}

static int fx_writepages(struct address_space *mapping, struct writeback_control *wbc)
{
	struct fx_io io = {};
	struct folio *folio = fx_next_folio(mapping, wbc);

	fx_write_folio(folio, &io);
	fx_write_copy(folio, &io);
	io.tail = kmalloc(8, GFP_NOFS);			/* expect: unneeded never */
	return 0;
}

static const struct address_space_operations fx_aops = {
	.writepages = fx_writepages,
};
