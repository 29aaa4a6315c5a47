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
