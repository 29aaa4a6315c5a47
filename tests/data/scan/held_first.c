/* Reclaim's path to an rsb's res_mutex first takes the lockspace's
 * in_recovery, which the recovery thread holds for write from its top:
 * reclaim blocks there, so the chain shown is in_recovery's, not the
 * inner res_mutex's (dlm_recoverd(), recover_idr_add()). */
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

void hf_start(struct hf_ls *ls)
{
	kthread_run(hf_recoverd, ls, "hf_recoverd");
}
