/* Code a series may put inside NOFS scopes. */
static int sc_one(struct foo *f)
{
	f->a = kmalloc(8, GFP_KERNEL);
	return 0;
}

static int sc_section(struct foo *f, int err)
{
	mutex_lock(&f->lock);
	f->a = kmalloc(8, GFP_KERNEL);
	f->b = kmalloc(8, GFP_KERNEL);
	if (err)
		goto out;
	f->c = kmalloc(8, GFP_KERNEL);
out:
	mutex_unlock(&f->lock);
	return err;
}

static void sc_run(struct work_struct *work)
{
	struct foo *f = work_to_foo(work);

	sc_one(f);
	sc_section(f, 0);
}

void sc_setup(struct foo *f)
{
	INIT_WORK(&f->w, sc_run);
}
