/* wk_waiter() has a scope; wk_worker() runs as work, outside it. */
static void wk_worker(struct work_struct *work)
{
	struct foo *f = work_to_foo(work);

	f->p = kmalloc(8, GFP_KERNEL);
}

static void wk_waiter(struct work_struct *work)
{
	struct foo *f = work_to_foo(work);
	unsigned int nofs = memalloc_nofs_save();

	f->a = kmalloc(8, GFP_KERNEL);
	f->b = kmalloc(8, GFP_KERNEL);
	memalloc_nofs_restore(nofs);
	flush_work(&f->wk_work);
}

void wk_setup(struct foo *f)
{
	INIT_WORK(&f->wk_work, wk_worker);
	INIT_WORK(&f->wait, wk_waiter);
}
