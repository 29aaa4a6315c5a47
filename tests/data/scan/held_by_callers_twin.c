/* Twin of held_by_callers.c: the ioctl calls hc_commit() without hc_sem,
 * so on its path reclaim reaches hc_inner, held here: the claim is
 * hc_inner's, and its section in hc_commit() gets the scope. */
static DECLARE_RWSEM(hc_sem);
static DEFINE_MUTEX(hc_inner);

static unsigned long hc_scan(struct shrinker *s, struct shrink_control *sc)
{
	down_read(&hc_sem);
	mutex_lock(&hc_inner);
	mutex_unlock(&hc_inner);
	up_read(&hc_sem);
	return 0;
}

static struct shrinker hc_shrinker = {
	.scan_objects = hc_scan,
};

static void hc_commit(void)
{
	mutex_lock(&hc_inner);
	p = kmalloc(8, GFP_NOFS);			/* expect: needs-scope never */
	hc_work(p);
	mutex_unlock(&hc_inner);
}

static int hc_bg_thread(void *arg)
{
	down_write(&hc_sem);
	hc_commit();
	up_write(&hc_sem);
	return 0;
}

static long hc_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	hc_commit();
	return 0;
}

static const struct file_operations hc_fops = {
	.unlocked_ioctl = hc_ioctl,
};

void hc_start(void)
{
	kthread_run(hc_bg_thread, NULL, "hc_bg");
}
