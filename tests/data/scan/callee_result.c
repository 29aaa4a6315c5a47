/* A branch decided by what a small helper returns: needs_tree() is
 * `return fork != COW_FORK && ..;`, so with fork = COW_FORK the call under
 * `if (needs_tree(..))` cannot run, nor what follows
 * `if (!update_needed(..)) return;`. The copy-on-write worker passes
 * COW_FORK outside any scope; the data worker passes DATA_FORK inside a
 * transaction. The twin's helper returns through a branch, which is not
 * read: its call stays possible from the unscoped worker. */
static inline bool needs_tree(struct fx_inode *ip, int fork)
{
	struct fx_fork *ifp = fork_ptr(ip, fork);

	return fork != COW_FORK && ifp->nextents > MAXEXT;
}

static bool update_needed(struct fx_mount *mp, int fork)
{
	return has_rmap(mp) && fork != COW_FORK;
}

static bool maybe_shared(struct fx_inode *ip, int fork)
{
	if (fork == COW_FORK)
		return ip->shared;
	return false;
}

/* `if (c) return 0; .. if (type == START) return 1; return 0;`: one path
 * returns true, and it needs type == START (btrfs may_wait_transaction()).
 * may_wait_urgent() returns true on two paths, so nothing is known. */
static int may_wait(struct fx_mount *mp, int type)
{
	if (test_bit(RECOVERING, &mp->flags))
		return 0;
	if (type == START)
		return 1;
	return 0;
}

static int may_wait_urgent(struct fx_mount *mp, int type)
{
	if (type == START)
		return 1;
	if (mp->urgent)
		return 1;
	return 0;
}

static void commit_now(struct fx_inode *ip)
{
	p = kmalloc(8, GFP_NOFS);			/* expect: redundant always */
}

static void commit_soon(struct fx_inode *ip)
{
	p = kmalloc(8, GFP_NOFS);			/* expect: mixed sometimes */
}

static void start(struct fx_inode *ip, int type)
{
	if (ip->blocked && may_wait(ip->mp, type))
		commit_now(ip);
	if (may_wait_urgent(ip->mp, type))
		commit_soon(ip);
}

static void to_tree(struct fx_inode *ip)
{
	p = kmalloc(8, GFP_NOFS);			/* expect: redundant always */
}

static void add_rmap(struct fx_inode *ip)
{
	p = kmalloc(8, GFP_NOFS);			/* expect: redundant always */
}

static void unshare(struct fx_inode *ip)
{
	p = kmalloc(8, GFP_NOFS);			/* expect: mixed sometimes */
}

static void rmap_convert(struct fx_mount *mp, struct fx_inode *ip, int fork)
{
	if (!update_needed(mp, fork))
		return;
	add_rmap(ip);
}

static void convert(struct fx_inode *ip, int fork)
{
	if (needs_tree(ip, fork))
		to_tree(ip);
	if (maybe_shared(ip, fork))
		unshare(ip);
	rmap_convert(ip->mp, ip, fork);
}

static void cow_worker(struct work_struct *work)
{
	convert(work_to_ip(work), COW_FORK);
	start(work_to_ip(work), JOIN);
}

static void data_worker(struct work_struct *work)
{
	struct xfs_trans *tp;

	if (xfs_trans_alloc(mp, &M_RES(mp)->tr_write, 0, 0, 0, &tp))
		return;
	convert(work_to_ip(work), DATA_FORK);
	start(work_to_ip(work), START);
	xfs_trans_commit(tp);
}

void fx_setup(struct fx_inode *ip)
{
	INIT_WORK(&ip->w1, cow_worker);
	INIT_WORK(&ip->w2, data_worker);
}
