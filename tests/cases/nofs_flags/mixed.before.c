/* A helper reached inside and outside a scope, with no lock reclaim takes:
 * NOFS only silenced lockdep. A mask read as a signal and a site reached
 * from unknown callers stay as they are. */
static void *helper(void)
{
	return kmalloc(8, GFP_NOFS);
}

static void scoped_work(struct work_struct *work)
{
	unsigned int nofs = memalloc_nofs_save();

	helper();
	memalloc_nofs_restore(nofs);
}

static void plain_work(struct work_struct *work)
{
	helper();
}

void setup(struct foo *f, struct folio *folio)
{
	INIT_WORK(&f->a, scoped_work);
	INIT_WORK(&f->b, plain_work);
	filemap_release_folio(folio, GFP_NOFS);
	p = kmalloc(8, GFP_NOFS);
}
