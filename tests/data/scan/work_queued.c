/* A work function queued from inside a scope starts with an empty scope.
 * If the scoped caller waits for it, the work needs a scope of its own. */
static void worker(struct work_struct *work)
{
	p = kmalloc(1, GFP_NOFS);			/* expect: needs-scope never */
}

static void other_worker(struct work_struct *work)
{
	p = kmalloc(1, GFP_NOFS);			/* expect: unneeded never */
}

void queue_inside_scope(struct foo *f)
{
	unsigned int nofs = memalloc_nofs_save();

	INIT_WORK(&f->work, worker);
	INIT_WORK(&f->other, other_worker);
	queue_work(system_wq, &f->work);
	queue_work(system_wq, &f->other);
	flush_work(&f->work);				/* waits for worker only */
	memalloc_nofs_restore(nofs);
}
