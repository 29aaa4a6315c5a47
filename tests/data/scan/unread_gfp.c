/* A mask passed to a function that never reads that argument has no
 * effect (erofs_managed_cache_invalidate_folio() passes GFP_NOFS to
 * erofs_managed_cache_release_folio(), which ignores its gfp). */
#define ALLOC_WITH(n) kmalloc(n, mgfp)

static bool my_release(struct folio *folio, gfp_t gfp)
{
	return folio_test_private(folio);
}

static void *my_alloc(size_t n, gfp_t gfp)
{
	return kmalloc(n, gfp);
}

static void *my_macro_alloc(size_t n, gfp_t mgfp)
{
	return ALLOC_WITH(n);
}

static void my_invalidate(struct folio *folio, size_t offset, size_t length)
{
	void *p;

	my_release(folio, GFP_NOFS);			/* expect: noop-mask never */
	/* twins: callees that allocate with the mask they are given */
	p = my_alloc(8, GFP_NOFS);			/* expect: unneeded never */
	kfree(p);
	p = my_macro_alloc(8, GFP_NOFS);		/* expect: unneeded never */
	kfree(p);
}

static const struct address_space_operations my_aops = {
	.invalidate_folio = my_invalidate,
};

