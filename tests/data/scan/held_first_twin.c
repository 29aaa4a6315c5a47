/* Twin of held_first.c: in_recovery is held on one path to the site
 * only; on the other (a system call) reclaim's path reaches res_mutex,
 * so res_mutex stays the lock shown and its section the boundary. */
static unsigned long hf_scan(struct shrinker *s, struct shrink_control *sc)
{
	struct hf_ls *ls = s->private_data;

	down_read(&ls->in_recovery);
	hf_convert(ls->rsb);
	up_read(&ls->in_recovery);
	return 0;
}

static struct shrinker hf_shrinker = {
	.scan_objects = hf_scan,
};

static void hf_convert(struct hf_rsb *r)
{
	mutex_lock(&r->res_mutex);
	mutex_unlock(&r->res_mutex);
}

static void hf_recover_master(struct hf_rsb *r)
{
	mutex_lock(&r->res_mutex);
	p = kmalloc(8, GFP_NOFS);			/* expect: needs-scope never */
	section_work();
	mutex_unlock(&r->res_mutex);
}

static int hf_recoverd(void *arg)
{
	struct hf_ls *ls = arg;

	down_write(&ls->in_recovery);
	hf_recover_master(ls->rsb);
	section_work();
	up_write(&ls->in_recovery);
	return 0;
}

static long hf_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct hf_ls *ls = file->private_data;

	hf_recover_master(ls->rsb);
	return 0;
}

static const struct file_operations hf_fops = {
	.unlocked_ioctl = hf_ioctl,
};

void hf_start(struct hf_ls *ls)
{
	kthread_run(hf_recoverd, ls, "hf_recoverd");
}
