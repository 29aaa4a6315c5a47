/* fs/lockmgr: a library other filesystems call. lm_release() takes the
 * manager's mutex and is exported; lm_refresh() allocates under it. */
void lm_release(struct lockmgr *lm)
{
	mutex_lock(&lm->mutex);
	drop_entries(lm);
	mutex_unlock(&lm->mutex);
}
EXPORT_SYMBOL(lm_release);

static void lm_refresh(struct work_struct *work)
{
	struct lockmgr *lm = work_to_lm(work);

	mutex_lock(&lm->mutex);
	p = kmalloc(8, GFP_NOFS);			/* expect: needs-scope never */
	section_work();				/* not one allocation alone */
	mutex_unlock(&lm->mutex);
}

/* the recovery kthread holds recover_sem, which lm_wait_recovery() (exported)
 * waits on for the other subsystem's eviction */
void lm_wait_recovery(struct lockmgr *lm)
{
	down_read(&lm->recover_sem);
	up_read(&lm->recover_sem);
}
EXPORT_SYMBOL(lm_wait_recovery);

static int lm_recoverd(void *arg)
{
	struct lockmgr *lm = arg;

	down_write(&lm->recover_sem);
	p = kmalloc(8, GFP_NOFS);			/* expect: needs-scope never */
	section_work();				/* not one allocation alone */
	up_write(&lm->recover_sem);
	return 0;
}

void lm_init(struct lockmgr *lm)
{
	INIT_WORK(&lm->refresh, lm_refresh);
	lm->task = kthread_run(lm_recoverd, lm, "lm_recoverd");
}
