/* Twin of kref_external.c: eviction passes ke_release() itself, which
 * takes ke_mutex: the allocation under it needs a scope. */
static DEFINE_MUTEX(ke_mutex);

static inline int ke_kref_put(struct kref *k, void (*release)(struct kref *k))
{
	if (refcount_dec_and_test(&k->refcount)) {
		release(k);
		return 1;
	}
	return 0;
}

static void ke_release(struct kref *k)
{
	mutex_lock(&ke_mutex);
	ke_free(k);
	mutex_unlock(&ke_mutex);
}

void ke_put(struct ke_obj *o)
{
	ke_kref_put(&o->ref, ke_release);
}

static void ke_evict_inode(struct inode *inode)
{
	struct ke_obj *o = inode->i_private;

	ke_kref_put(&o->ref, ke_release);
	clear_inode(inode);
}

static const struct super_operations ke_sops = {
	.evict_inode = ke_evict_inode,
};

static long ke_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	mutex_lock(&ke_mutex);
	p = kmalloc(8, GFP_NOFS);			/* expect: needs-scope never */
	ke_work(p);
	mutex_unlock(&ke_mutex);
	return 0;
}

static const struct file_operations ke_fops = {
	.unlocked_ioctl = ke_ioctl,
};
