/* NOFS allocations a series may take NOFS away from. The shrinker flushes
 * dr_worker(): reclaim waits for that work, which gets no scope of its own.
 * dr_in_handle() allocates inside a jbd2 handle, where NOFS is redundant.
 * dr_public() is called from code that is not analysed. The tree's mask is
 * used under f->lock, which the (gated) shrinker takes. */
static unsigned long dr_scan(struct shrinker *s, struct shrink_control *sc)
{
	struct foo *f = s->private_data;

	if (!(sc->gfp_mask & __GFP_FS))
		return SHRINK_STOP;
	mutex_lock(&f->lock);
	mutex_unlock(&f->lock);
	flush_work(&f->dr_work);
	return 0;
}

static struct shrinker dr_shrinker = { .scan_objects = dr_scan, };

static void dr_worker(struct work_struct *work)
{
	struct foo *f = work_to_foo(work);

	f->p = kmalloc(8, GFP_NOFS);
	f->q = kmalloc(8, GFP_NOFS);
}

static void dr_in_handle(struct work_struct *work)
{
	struct foo *f = work_to_foo(work);
	handle_t *handle = jbd2_journal_start(f->journal, 1);

	if (IS_ERR(handle))
		return;
	f->a = kmalloc(8, GFP_NOFS);
	jbd2_journal_stop(handle);
}

int dr_public(struct foo *f)
{
	f->r = kmalloc(8, GFP_NOFS);
	return f->r ? 0 : -ENOMEM;
}

static void dr_insert(struct work_struct *work)
{
	struct foo *f = work_to_foo(work);

	mutex_lock(&f->lock);
	radix_tree_insert(&f->tree, 1, f);
	mutex_unlock(&f->lock);
}

void dr_setup(struct foo *f)
{
	INIT_RADIX_TREE(&f->tree, GFP_NOFS);
	INIT_WORK(&f->ins, dr_insert);
	INIT_WORK(&f->dr_work, dr_worker);
	INIT_WORK(&f->w, dr_in_handle);
}
