/* Locks held only where a condition holds. A dquot lock followed by
 * `locked = true;` is released by `if (locked) unlock` on every path that
 * took it (xfs_trans_unreserve_and_mod_dquots()); a trylock that is the test
 * of an `if` holds its lock only on the branch where it returned true
 * (xfs_reclaim_inode()); a flag set true before the lock and never reset
 * says where it is held too (__ceph_setxattr()). Each has a twin that does
 * return holding the lock.
 * A shrinker takes the dquot lock of dquots on its own list. */
static unsigned long dq_scan(struct shrinker *s, struct shrink_control *sc)
{
	struct xfs_dquot *dqp;

	if (!(sc->gfp_mask & __GFP_FS))
		return SHRINK_STOP;
	dqp = list_first_entry(&dq_lru, struct xfs_dquot, q_lru);
	mutex_lock(&dqp->q_qlock);
	mutex_unlock(&dqp->q_qlock);
	return 1;
}

static struct shrinker dq_shrinker = {
	.scan_objects	= dq_scan,
};

static void dq_lock(struct xfs_dquot *dqp)
{
	mutex_lock(&dqp->q_qlock);
}

static void dq_unlock(struct xfs_dquot *dqp)
{
	mutex_unlock(&dqp->q_qlock);
}

static void dq_unreserve(struct xfs_dquot *dqp, int blk, int ino)
{
	bool locked = false;

	if (blk) {
		dq_lock(dqp);
		locked = true;
		dqp->q_blk -= blk;
	}
	if (ino) {
		if (!locked) {
			dq_lock(dqp);
			locked = true;
		}
		dqp->q_ino -= ino;
	}
	if (locked)
		dq_unlock(dqp);
}

/* the twin: unlocks on a condition the lock was not taken under */
static void dq_unreserve_leaky(struct xfs_dquot *dqp, int blk, int ino)
{
	bool locked = false;

	if (blk) {
		dq_lock(dqp);
		locked = true;
		dqp->q_blk -= blk;
	}
	if (ino)
		dq_unlock(dqp);
}

static void dq_try_flush(struct xfs_dquot *dqp)
{
	if (!mutex_trylock(&dqp->q_qlock))
		goto out;
	dqp->q_flags = 0;
	mutex_unlock(&dqp->q_qlock);
	/* wait for lookups that saw it, as xfs_reclaim_inode() does */
	mutex_lock(&dqp->q_qlock);
	mutex_unlock(&dqp->q_qlock);
out:
	dqp->q_tries++;
}

/* the trylock's result kept in a flag (signal_our_withdraw()) */
static void dq_try_note(struct xfs_dquot *dqp)
{
	bool locked;

	mutex_lock(&dqp->q_qlock);
	mutex_unlock(&dqp->q_qlock);
	locked = mutex_trylock(&dqp->q_qlock);
	dqp->q_tries++;
	if (locked)
		mutex_unlock(&dqp->q_qlock);
}

/* the twin: returns holding the lock when the trylock succeeded */
static void dq_try_grab(struct xfs_dquot *dqp)
{
	if (mutex_trylock(&dqp->q_qlock))
		return;
	mutex_lock(&dqp->q_qlock);
	dqp->q_tries++;
	mutex_unlock(&dqp->q_qlock);
}

/* the flag set before the lock, never reset (__ceph_setxattr()) */
static void dq_set_first(struct xfs_dquot *dqp, int blk)
{
	bool locked = false;

retry:
	if (!locked && blk) {
		locked = true;
		if (!mutex_trylock(&dqp->q_qlock)) {
			dqp->q_tries++;
			mutex_lock(&dqp->q_qlock);
			goto retry;
		}
	}
	dqp->q_blk -= blk;
	if (locked)
		mutex_unlock(&dqp->q_qlock);
}

/* the twin: the flag is reset while the lock is held */
static void dq_set_first_reset(struct xfs_dquot *dqp, int blk)
{
	bool locked = false;

	if (blk) {
		locked = true;
		mutex_lock(&dqp->q_qlock);
	}
	if (blk > 8)
		locked = false;
	if (locked)
		mutex_unlock(&dqp->q_qlock);
}

/* the flag set false before the lock, true otherwise (ubifs_jnl_write_data()) */
static void dq_reserve(struct xfs_dquot *dqp)
{
	int allocated = 1;
	void *buf = kmalloc(8, GFP_KERNEL);

	if (!buf) {
		allocated = 0;
		mutex_lock(&dqp->q_qlock);
		buf = dqp->q_reserve;
	}
	dqp->q_buf = buf;
	if (!allocated)
		mutex_unlock(&dqp->q_qlock);
	else
		kfree(buf);
}

/* the twin: released where the flag is true, so kept where it is false */
static void dq_reserve_inverted(struct xfs_dquot *dqp)
{
	int allocated = 1;
	void *buf = kmalloc(8, GFP_KERNEL);

	if (!buf) {
		allocated = 0;
		mutex_lock(&dqp->q_qlock);
		buf = dqp->q_reserve;
	}
	dqp->q_buf = buf;
	if (allocated)
		mutex_unlock(&dqp->q_qlock);
}

static long dq_read_reserve(struct kiocb *iocb, struct iov_iter *to)
{
	struct xfs_dquot *dqp = iocb->ki_filp->private_data;

	dq_reserve(dqp);
	p = kmalloc(8, GFP_NOFS);			/* expect: unneeded never */
	return 0;
}

static long dq_write_reserve(struct kiocb *iocb, struct iov_iter *from)
{
	struct xfs_dquot *dqp = iocb->ki_filp->private_data;

	dq_reserve_inverted(dqp);
	p = kmalloc(8, GFP_NOFS);			/* expect: keep never */
	return 0;
}

static long dq_read_first(struct kiocb *iocb, struct iov_iter *to)
{
	struct xfs_dquot *dqp = iocb->ki_filp->private_data;

	dq_set_first(dqp, iov_iter_count(to));
	p = kmalloc(8, GFP_NOFS);			/* expect: unneeded never */
	return 0;
}

static long dq_write_first(struct kiocb *iocb, struct iov_iter *from)
{
	struct xfs_dquot *dqp = iocb->ki_filp->private_data;

	dq_set_first_reset(dqp, iov_iter_count(from));
	p = kmalloc(8, GFP_NOFS);			/* expect: keep never */
	return 0;
}

static long dq_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct xfs_dquot *dqp = file->private_data;

	dq_unreserve(dqp, cmd, arg);
	p = kmalloc(8, GFP_NOFS);			/* expect: unneeded never */
	return 0;
}

static long dq_ioctl_flush(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct xfs_dquot *dqp = file->private_data;

	dq_try_flush(dqp);
	p = kmalloc(8, GFP_NOFS);			/* expect: unneeded never */
	return 0;
}

static long dq_ioctl_note(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct xfs_dquot *dqp = file->private_data;

	dq_try_note(dqp);
	p = kmalloc(8, GFP_NOFS);			/* expect: unneeded never */
	return 0;
}

static long dq_ioctl_leaky(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct xfs_dquot *dqp = file->private_data;

	dq_unreserve_leaky(dqp, cmd, arg);
	p = kmalloc(8, GFP_NOFS);			/* expect: keep never */
	return 0;
}

static long dq_ioctl_grab(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct xfs_dquot *dqp = file->private_data;

	dq_try_grab(dqp);
	p = kmalloc(8, GFP_NOFS);			/* expect: keep never */
	return 0;
}

/* A helper locks a dquot and hands it to the transaction: committing the
 * transaction unlocks it (xfs_trans_dqlockedjoin() under
 * __xfs_trans_commit()). Its twin calls the same helper and never commits. */
static void dq_lockedjoin(struct xfs_trans *tp, struct xfs_dquot *dqp)
{
	dq_lock(dqp);
	xfs_trans_dqjoin(tp, dqp);
}

static int dq_commit(struct xfs_trans *tp, struct xfs_dquot *dqp)
{
	dq_lockedjoin(tp, dqp);
	return xfs_trans_commit(tp);
}

static int dq_no_commit(struct xfs_trans *tp, struct xfs_dquot *dqp)
{
	dq_lockedjoin(tp, dqp);
	return 0;
}

static long dq_ioctl_trans(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct xfs_dquot *dqp = file->private_data;

	dq_commit(file->f_trans, dqp);
	p = kmalloc(8, GFP_NOFS);			/* expect: unneeded never */
	dq_no_commit(file->f_trans, dqp);
	p = kmalloc(8, GFP_NOFS);			/* expect: keep never */
	return 0;
}

static const struct file_operations dq_fops = {
	.unlocked_ioctl	= dq_ioctl,
	.compat_ioctl	= dq_ioctl_leaky,
	.read_iter	= dq_ioctl_grab,
	.write_iter	= dq_ioctl_trans,
};

static const struct file_operations dq_flush_fops = {
	.unlocked_ioctl	= dq_ioctl_flush,
	.compat_ioctl	= dq_ioctl_note,
	.read_iter	= dq_read_first,
	.write_iter	= dq_write_first,
};

static const struct file_operations dq_reserve_fops = {
	.read_iter	= dq_read_reserve,
	.write_iter	= dq_write_reserve,
};
