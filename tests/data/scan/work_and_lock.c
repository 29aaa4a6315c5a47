/* Eviction waits for the log work, then takes log_mutex. The work takes
 * log_mutex and allocates under it: the scope from the work's top covers
 * both reasons, one scope rather than a second one at the lock. The twin
 * allocates under log_mutex in a function the ioctl also runs, outside the
 * work: its scope stays at the lock. */
struct wl_sb {
	struct work_struct log_work;
	struct mutex log_mutex;
};

static void wl_fill(struct wl_sb *s)
{
	mutex_lock(&s->log_mutex);
	p = kmalloc(8, GFP_NOFS);		/* expect: needs-scope never */
	wl_append(s, p);
	mutex_unlock(&s->log_mutex);
}

static void wl_fill_shared(struct wl_sb *s)
{
	mutex_lock(&s->log_mutex);
	q = kmalloc(8, GFP_NOFS);		/* expect: needs-scope never */
	wl_append(s, q);
	mutex_unlock(&s->log_mutex);
}

static void wl_log_work(struct work_struct *w)
{
	struct wl_sb *s = container_of(w, struct wl_sb, log_work);

	wl_fill(s);
	wl_fill_shared(s);
}

static long wl_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	wl_fill_shared(file_inode(file)->i_sb->s_fs_info);
	return 0;
}

static void wl_evict_inode(struct inode *inode)
{
	struct wl_sb *s = inode->i_sb->s_fs_info;

	flush_work(&s->log_work);
	mutex_lock(&s->log_mutex);
	mutex_unlock(&s->log_mutex);
}

int wl_init(struct wl_sb *s)
{
	INIT_WORK(&s->log_work, wl_log_work);
	return 0;
}

static const struct file_operations wl_fops = { .unlocked_ioctl = wl_ioctl };
static const struct super_operations wl_sops = { .evict_inode = wl_evict_inode };
