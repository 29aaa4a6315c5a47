/* A release function defined outside the analysed code and passed to a
 * put helper (svc_put()'s `kref_put(&serv->sv_refcnt, svc_destroy)`): the
 * helper calls that one, not the release functions others pass it. So
 * eviction's put never runs ke_release() and never takes ke_mutex, and an
 * allocation under ke_mutex is unneeded. Twin: kref_external_twin.c. */
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

	ke_kref_put(&o->ref, ke_destroy_elsewhere);
	clear_inode(inode);
}

static const struct super_operations ke_sops = {
	.evict_inode = ke_evict_inode,
};

static long ke_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	mutex_lock(&ke_mutex);
	p = kmalloc(8, GFP_NOFS);			/* expect: unneeded never */
	ke_work(p);
	mutex_unlock(&ke_mutex);
	return 0;
}

static const struct file_operations ke_fops = {
	.unlocked_ioctl = ke_ioctl,
};
