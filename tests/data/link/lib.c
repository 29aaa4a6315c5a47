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
	mutex_unlock(&lm->mutex);
}

void lm_init(struct lockmgr *lm)
{
	INIT_WORK(&lm->refresh, lm_refresh);
}
