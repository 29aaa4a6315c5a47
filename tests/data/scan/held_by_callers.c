/* Both callers of hc_commit() take hc_sem for write before they call it
 * (ubifs's run_bg_commit() and ubifs_run_commit() around do_commit()), and
 * reclaim's path to hc_inner takes hc_sem first: reclaim stops there. The
 * claim is hc_sem, whose section starts in two functions: no one scope
 * covers it, so NOFS stays. Twin: held_by_callers_twin.c. */
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
	p = kmalloc(8, GFP_NOFS);			/* expect: keep never */
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
	down_write(&hc_sem);
	hc_commit();
	up_write(&hc_sem);
	return 0;
}

static const struct file_operations hc_fops = {
	.unlocked_ioctl = hc_ioctl,
};

void hc_start(void)
{
	kthread_run(hc_bg_thread, NULL, "hc_bg");
}
