/* Waits on objects the work produces the event for. Eviction waits for a
 * request's completion, which the request work completes; a commit that
 * eviction runs waits for the in-flight counter the I/O work drops. FS
 * reclaim entered from either work could wait for that work itself. The
 * twin: the stats work completes requests only an ioctl waits for. */
struct fx_sb {
	atomic_t inflight;
};

struct fx_req {
	struct completion done;
	struct work_struct work;
};

struct fx_io {
	struct fx_sb *sb;
	struct work_struct work;
};

struct fx_stat {
	struct completion done;
	struct work_struct work;
};

static void req_work(struct work_struct *work)
{
	struct fx_req *r = container_of(work, struct fx_req, work);

	p = kmalloc(8, GFP_NOFS);			/* expect: needs-scope never */
	complete(&r->done);
}

static void io_work(struct work_struct *work)
{
	struct fx_io *io = container_of(work, struct fx_io, work);

	p = kmalloc(8, GFP_NOFS);			/* expect: needs-scope never */
	if (atomic_dec_and_test(&io->sb->inflight))
		wake_up_var(&io->sb->inflight);
}

static void stat_work(struct work_struct *work)
{
	struct fx_stat *st = container_of(work, struct fx_stat, work);

	p = kmalloc(8, GFP_NOFS);			/* expect: unneeded never */
	complete(&st->done);
}

static void fx_commit(struct fx_sb *sb)
{
	wait_var_event(&sb->inflight, !atomic_read(&sb->inflight));
}

static void fx_evict_inode(struct inode *inode)
{
	struct fx_req *r = inode_req(inode);

	queue_work(fx_wq, &r->work);
	wait_for_completion(&r->done);
	fx_commit(inode->i_sb->s_fs_info);
	clear_inode(inode);
}

static const struct super_operations fx_sops = {
	.evict_inode = fx_evict_inode,
};

long fx_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct fx_stat *st = file_stat(file);

	queue_work(fx_wq, &st->work);
	wait_for_completion(&st->done);
	return 0;
}

void fx_setup(struct fx_req *r, struct fx_io *io, struct fx_stat *st)
{
	INIT_WORK(&r->work, req_work);
	INIT_WORK(&io->work, io_work);
	INIT_WORK(&st->work, stat_work);
}
