/* A work function queued from inside a scope starts with an empty scope. */
static void worker(struct work_struct *work)
{
	p = kmalloc(1, GFP_NOFS);			/* expect: unneeded never */
}

void queue_inside_scope(struct foo *f)
{
	unsigned int nofs = memalloc_nofs_save();

	INIT_WORK(&f->work, worker);
	queue_work(system_wq, &f->work);
	flush_work(&f->work);
	memalloc_nofs_restore(nofs);
}
