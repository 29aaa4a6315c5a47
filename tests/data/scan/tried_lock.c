/* The shrinker only trylocks tl_mutex (ubifs's umount_mutex in
 * ubifs_shrink_scan()): a task holding it makes reclaim skip, never wait,
 * so the allocation under it is unneeded, and its call site says which
 * lock it holds and why that is no wait. */
static DEFINE_MUTEX(tl_mutex);

static unsigned long tl_scan(struct shrinker *s, struct shrink_control *sc)
{
	if (!mutex_trylock(&tl_mutex))
		return SHRINK_STOP;
	tl_free();
	mutex_unlock(&tl_mutex);
	return 0;
}

static struct shrinker tl_shrinker = {
	.scan_objects = tl_scan,
};

static void tl_fill(void)
{
	p = kmalloc(8, GFP_NOFS);			/* expect: unneeded never */
}

static long tl_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	mutex_lock(&tl_mutex);
	tl_fill();
	mutex_unlock(&tl_mutex);
	return 0;
}

static const struct file_operations tl_fops = {
	.unlocked_ioctl = tl_ioctl,
};
