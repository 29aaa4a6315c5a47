/* A gfp that the callee tests is a signal, not an allocation mask. */
static int may_block(struct foo *f, gfp_t gfp)
{
	if (!(gfp & __GFP_FS))
		return 0;
	return 1;
}

static int forwards(struct foo *f, gfp_t gfp)
{
	return may_block(f, gfp);
}

static void *allocates(gfp_t gfp)
{
	return kmalloc(8, gfp);
}

void user(struct foo *f)
{
	may_block(f, GFP_NOFS);				/* expect: keep unknown call-arg */
	forwards(f, GFP_NOFS);				/* expect: keep unknown call-arg */
	allocates(GFP_NOFS);				/* expect: keep unknown call-arg */
	if (f->gfp == GFP_NOFS)				/* expect: keep unknown signal */
		f->gfp = GFP_NOFS;			/* expect: keep unknown stored */
}

/* memalloc_retry_wait() reads the failed allocation's mask for other bits
 * than __GFP_FS: not an allocation, and its mask follows that one. */
void retries(void)
{
	unsigned int flags = memalloc_nofs_save();
	void *p;

	while (!(p = kmalloc(8, GFP_NOFS)))		/* expect: redundant always alloc-arg */
		memalloc_retry_wait(GFP_NOFS);		/* expect: keep always retry */
	memalloc_nofs_restore(flags);
	kfree(p);
}
