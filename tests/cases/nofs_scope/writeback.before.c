/* fx_write_copy() sets the folio under writeback, copies it with an
 * allocation and ends the writeback itself: until then reclaim with
 * __GFP_FS may wait on that folio. */
static int fx_write_copy(struct folio *folio, struct fx_io *io)
{
	folio_start_writeback(folio);
	io->copy = alloc_page(GFP_NOFS);
	if (!io->copy) {
		folio_end_writeback(folio);
		return -ENOMEM;
	}
	fx_copy(io->copy, folio);
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
