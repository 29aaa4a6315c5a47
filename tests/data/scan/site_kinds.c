/* Every kind of NOFS site; each function is global with no caller, so its
 * entry context is unknown and nothing is provably scoped. */
#define ALLOC_NOFS(sz) kmalloc(sz, GFP_NOFS) /* a macro body: accounted, no site */
/* GFP_NOFS in a comment is not a site */
static const char msg[] = "GFP_NOFS in a string is not a site";

int alloc_arg(void)
{
	p = kmalloc(16, GFP_NOFS | __GFP_NOFAIL);	/* expect: keep unknown alloc-arg */
	q = kmem_zalloc(16, KM_NOFS | KM_MAYFAIL);	/* expect: keep unknown kmem-arg */
	return my_helper(p, GFP_NOFS);			/* expect: keep unknown call-arg */
}

int mask_var(gfp_t gfp)
{
	gfp |= GFP_NOFS;				/* expect: keep unknown mask-var */
	return kmalloc(16, gfp) != NULL;
}

int mask_clear(gfp_t gfp)
{
	return alloc_page(gfp & ~__GFP_FS) != NULL;	/* expect: keep unknown mask-clear */
}

void stored(struct radix_tree_root *r, struct address_space *m)
{
	INIT_RADIX_TREE(r, GFP_NOFS);			/* expect: keep unknown stored */
	mapping_set_gfp_mask(m, mapping_gfp_mask(m) & ~__GFP_FS); /* expect: keep unknown mapping-mask */
}

void noop_and_signal(struct folio *folio)
{
	struct shrink_control sc = { .gfp_mask = GFP_NOFS, };	/* expect: keep unknown signal */
	p = kmalloc(8, GFP_KERNEL | GFP_NOFS);		/* expect: noop-mask unknown alloc-arg */
	filemap_release_folio(folio, GFP_NOFS);		/* expect: keep unknown signal */
}
#if 0
void dead(void) { kmalloc(1, GFP_NOFS); }
#endif
