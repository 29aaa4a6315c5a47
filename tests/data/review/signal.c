/* sg_may_block() reads its gfp as a signal. */
static int sg_may_block(struct foo *f, gfp_t gfp)
{
	if (!(gfp & __GFP_FS))
		return 0;
	return 1;
}

static void sg_user(struct work_struct *work)
{
	struct foo *f = work_to_foo(work);

	sg_may_block(f, GFP_NOFS);
	sg_may_block(f, GFP_KERNEL);
	f->p = kmalloc(8, GFP_KERNEL);
}

void sg_setup(struct foo *f)
{
	INIT_WORK(&f->w, sg_user);
}
