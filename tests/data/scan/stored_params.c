/* A function pointer parameter stored into a struct field: what the
 * callers pass runs where that field is called (a work item here), not
 * from an unknown context. The twin stores it into a field nothing calls
 * in the analysed code, so the function it is given stays unknown. */
typedef int (*walk_fn)(struct inode *inode, void *data);

struct walker {
	walk_fn fn;
	void *data;
	struct work_struct work;
};

static void walker_work(struct work_struct *work)
{
	struct walker *w = container_of(work, struct walker, work);

	w->fn(NULL, w->data);
}

int walk_threaded(struct walker *w, walk_fn fn, void *data)
{
	w->fn = fn;
	w->data = data;
	INIT_WORK(&w->work, walker_work);
	queue_work(system_wq, &w->work);
	return 0;
}

/* tests it before it stores it: a test lets no one call it */
int walk_checked(struct walker *w, walk_fn fn)
{
	if (!fn || fn == NULL)
		return -EINVAL;
	w->fn = fn;
	INIT_WORK(&w->work, walker_work);
	queue_work(system_wq, &w->work);
	return 0;
}

static int checked_one(struct inode *inode, void *data)
{
	void *p = kmalloc(8, GFP_NOFS);			/* expect: unneeded never */

	kfree(p);
	return 0;
}

static int count_one(struct inode *inode, void *data)
{
	void *p = kmalloc(8, GFP_NOFS);			/* expect: unneeded never */

	kfree(p);
	return 0;
}

struct hook {
	walk_fn fn;
};

int hook_set(struct hook *h, walk_fn fn)
{
	h->fn = fn;
	return 0;
}

static int hooked_one(struct inode *inode, void *data)
{
	void *p = kmalloc(8, GFP_NOFS);			/* expect: keep unknown */

	kfree(p);
	return 0;
}

static long my_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct walker w;
	struct hook h;

	hook_set(&h, hooked_one);
	walk_checked(&w, checked_one);
	return walk_threaded(&w, count_one, NULL);
}

static const struct file_operations my_fops = {
	.unlocked_ioctl = my_ioctl,
};
