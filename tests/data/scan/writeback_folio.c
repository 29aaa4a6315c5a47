/* A folio set under writeback stays so until its I/O completes. Before the
 * task submits that I/O, FS reclaim entered from an allocation may wait on
 * the folio's writeback (shrink_folio_list() with __GFP_FS), which only the
 * submission can end. fx_write_copy() ends the writeback itself, after
 * copying the folio: a scope from the start to the end of the writeback
 * covers its allocations. fx_write_folio() leaves the end to the I/O it
 * submits, so where that is is not followed. The twins allocate before
 * the folio is set under writeback, or in the caller once fx_write_folio()
 * has returned. Reclaim trylocks a folio before it waits on its writeback:
 * ->writepage gets the folio locked, so fx_writepage() allocates under
 * writeback of a folio that is (as far as is followed) locked: keep;
 * fx_commit_folio() unlocks its folio before it allocates: a scope. */
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

static int fx_writepage(struct page *page, struct writeback_control *wbc)
{
	struct fx_io io = {};

	set_page_writeback(page);
	io.copy = alloc_page(GFP_NOFS);			/* expect: keep never */
	fx_copy(io.copy, page);
	end_page_writeback(page);
	unlock_page(page);
	return 0;
}

static int fx_commit_folio(struct fx_io *io, struct folio *folio)
{
	folio_lock(folio);
	folio_start_writeback(folio);
	folio_unlock(folio);
	io->bio = fx_bio_alloc(GFP_NOFS);		/* expect: needs-scope never */
	fx_submit(io, folio);
	folio_end_writeback(folio);
	return 0;
}

static int fx_sync_fs(struct super_block *sb, int wait)
{
	return fx_commit_folio(sb_io(sb), sb_folio(sb));
}

static const struct super_operations fx_sops = {
	.sync_fs = fx_sync_fs,
};

static const struct address_space_operations fx_aops = {
	.writepages = fx_writepages,
	.writepage = fx_writepage,
};
