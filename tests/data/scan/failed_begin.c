/* A transaction start that fails opens no scope: its error branch runs
 * outside it. The twin is the success path right after the test. */
static void write_worker(struct work_struct *work)
{
	handle_t *handle;

	handle = ocfs2_start_trans(osb, 1);
	if (IS_ERR(handle)) {
		p = kmalloc(8, GFP_NOFS);		/* expect: unneeded never */
		return;
	}
	p = kmalloc(8, GFP_NOFS);			/* expect: redundant always */
	ocfs2_commit_trans(osb, handle);
}

static void xfs_worker(struct work_struct *work)
{
	struct xfs_trans *tp;
	int error;

	error = xfs_trans_alloc(mp, &M_RES(mp)->tr_write, 0, 0, 0, &tp);
	if (error) {
		p = kmalloc(8, GFP_NOFS);		/* expect: unneeded never */
		return;
	}
	p = kmalloc(8, GFP_NOFS);			/* expect: redundant always */
	xfs_trans_commit(tp);
}

/* Only the test right after the begin is about it: `error` reassigned by
 * another call and tested again says nothing about the transaction. */
static void retry_worker(struct work_struct *work)
{
	struct xfs_trans *tp;
	int error;

	error = xfs_trans_alloc(mp, &M_RES(mp)->tr_write, 0, 0, 0, &tp);
	if (error == -ENOSPC) {
		flush_some(mp);
		error = xfs_trans_alloc(mp, &M_RES(mp)->tr_write, 0, 0, 0, &tp);
	}
	if (error)
		return;
	error = first_step(tp);
	if (!error)
		error = second_step(tp);
	p = kmalloc(8, GFP_NOFS);			/* expect: redundant always */
	xfs_trans_commit(tp);
}

void start_workers(struct osb *osb)
{
	INIT_WORK(&osb->w1, write_worker);
	INIT_WORK(&osb->w2, xfs_worker);
	INIT_WORK(&osb->w3, retry_worker);
}
