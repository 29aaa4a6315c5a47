/* Twin of by_type_reclaim.c: one ops table fills the field, so
 * o->ops->release() is bt_release_locked(), which takes bt_mutex: the
 * allocation under it needs a scope. */
struct bt_obj;

struct bt_ops {
	void (*release)(struct bt_obj *o);
};

struct bt_obj {
	const struct bt_ops *ops;
};

static DEFINE_MUTEX(bt_mutex);

static void bt_release_locked(struct bt_obj *o)
{
	mutex_lock(&bt_mutex);
	bt_free(o);
	mutex_unlock(&bt_mutex);
}

static const struct bt_ops bt_locked_ops = {
	.release = bt_release_locked,
};

static void bt_evict_inode(struct inode *inode)
{
	struct bt_obj *o = inode->i_private;

	o->ops->release(o);
	clear_inode(inode);
}

static const struct super_operations bt_sops = {
	.evict_inode = bt_evict_inode,
};

static long bt_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	mutex_lock(&bt_mutex);
	p = kmalloc(8, GFP_NOFS);			/* expect: needs-scope never */
	bt_work(p);
	mutex_unlock(&bt_mutex);
	return 0;
}

static const struct file_operations bt_fops = {
	.unlocked_ioctl = bt_ioctl,
};
