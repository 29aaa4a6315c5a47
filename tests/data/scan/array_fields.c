/* A local array of structs whose function field is set and called
 * (xfs_getfsmap()'s handlers[i].fn): an element has the array's struct
 * type, so the call reaches the functions stored there, in the caller's
 * context, not from an unknown one. */
struct map_dev {
	int (*fn)(struct inode *inode, void *data);
	int dev;
};

static int map_data(struct inode *inode, void *data)
{
	void *p = kmalloc(8, GFP_NOFS);			/* expect: unneeded never */

	kfree(p);
	return 0;
}

static int map_log(struct inode *inode, void *data)
{
	return 0;
}

static long map_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct map_dev handlers[2];
	int i, error = 0;

	handlers[0].fn = map_data;
	handlers[1].fn = map_log;
	for (i = 0; i < 2; i++)
		error = handlers[i].fn(file_inode(file), NULL);
	return error;
}

static const struct file_operations map_fops = {
	.unlocked_ioctl = map_ioctl,
};
