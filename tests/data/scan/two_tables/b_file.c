/* my_file_open() is stored in this file's file_operations and in the
 * directory's (a_dir.c): the entry cited is the one beside it. */
int my_file_open(struct inode *inode, struct file *file)
{
	void *p = kmalloc(8, GFP_NOFS);

	kfree(p);
	return 0;
}

const struct file_operations my_file_operations = {
	.open		= my_file_open,
};
