/* A call that passes NULL where the callee dereferences it first cannot
 * run, so it brings no context: the in-memory conversion passes tp = NULL
 * (xfs_reflink_convert_cow_locked()), and the helper that dereferences tp
 * is only ever entered from the transaction. The twin helper allocates
 * before it checks tp, so the NULL call reaches that allocation with no
 * scope; after its `if (!tp) return;`, tp NULL reaches nothing. */
static void defer_add(struct xfs_trans *tp, struct list_head *li)
{
	tp->t_flags |= XFS_TRANS_DIRTY;
	list_add_tail(li, &tp->t_dfops);
	p = kmalloc(8, GFP_NOFS);			/* expect: redundant always */
}

static void maybe_log(struct xfs_trans *tp, struct list_head *li)
{
	p = kmalloc(8, GFP_NOFS);			/* expect: mixed sometimes */
	if (!tp)
		return;
	q = kmalloc(8, GFP_NOFS);			/* expect: redundant always */
}

static void update(struct xfs_trans *tp, struct list_head *li)
{
	defer_add(tp, li);
	maybe_log(tp, li);
}

static void cow_worker(struct work_struct *work)
{
	update(NULL, &work->li);
}

static void trans_worker(struct work_struct *work)
{
	struct xfs_trans *tp;

	if (xfs_trans_alloc(mp, &M_RES(mp)->tr_write, 0, 0, 0, &tp))
		return;
	update(tp, &work->li);
	xfs_trans_commit(tp);
}

void start_workers(struct osb *osb)
{
	INIT_WORK(&osb->w1, cow_worker);
	INIT_WORK(&osb->w2, trans_worker);
}
