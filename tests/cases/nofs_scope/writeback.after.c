/* fx_write_copy() sets the folio under writeback, copies it with an
 * allocation and ends the writeback itself: until then reclaim with
 * __GFP_FS may wait on that folio. */
static int fx_write_copy(struct folio *folio, struct fx_io *io)
{
	unsigned int nofs_flags;
	folio_start_writeback(folio);
	/* Memory reclaim may wait on this writeback: keep it out of the filesystem. */
	nofs_flags = memalloc_nofs_save();
	io->copy = alloc_page(GFP_NOFS);
	if (!io->copy) {
		memalloc_nofs_restore(nofs_flags);
		folio_end_writeback(folio);
		return -ENOMEM;
	}
	fx_copy(io->copy, folio);
	memalloc_nofs_restore(nofs_flags);
	folio_end_writeback(folio);
	return fx_queue(io);
}

static int fx_writepages(struct address_space *mapping, struct writeback_control *wbc)
{
	struct fx_io io = {};

	return fx_write_copy(fx_next_folio(mapping, wbc), &io);
}

static const struct address_space_operations fx_aops = {
	.writepages = fx_writepages,
};
