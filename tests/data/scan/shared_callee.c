/* A callee shared by a scoped and an unscoped caller is not redundant. */
static void *helper(void)
{
	return kmalloc(1, GFP_NOFS);			/* expect: mixed sometimes */
}

static void scoped_work(struct work_struct *work)
{
	unsigned int nofs = memalloc_nofs_save();

	helper();
	memalloc_nofs_restore(nofs);
}

static void unscoped_work(struct work_struct *work)
{
	helper();
}

static void *only_scoped(void)
{
	return kmalloc(1, GFP_NOFS);			/* expect: redundant always */
}

static void scoped_twice(struct work_struct *work)
{
	unsigned int nofs = memalloc_nofs_save();

	only_scoped();
	only_scoped();
	memalloc_nofs_restore(nofs);
}

void setup(struct foo *f)
{
	INIT_WORK(&f->a, scoped_work);
	INIT_WORK(&f->b, unscoped_work);
	INIT_WORK(&f->c, scoped_twice);
}
