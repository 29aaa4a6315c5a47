/* Allocations a series may change: inside a jbd2 handle, outside any scope,
 * and in a helper called both inside and outside the handle. */
static void cl_helper(struct foo *f)
{
	f->buf = kmalloc(8, GFP_KERNEL);
}

static void cl_in_handle(struct work_struct *work)
{
	struct foo *f = work_to_foo(work);
	handle_t *handle = jbd2_journal_start(f->journal, 1);

	f->a = kmalloc(8, GFP_KERNEL);
	cl_helper(f);
	jbd2_journal_stop(handle);
}

static void cl_no_scope(struct work_struct *work)
{
	struct foo *f = work_to_foo(work);

	f->b = kmalloc(8, GFP_KERNEL);
	cl_helper(f);
}

void cl_setup(struct foo *f)
{
	INIT_WORK(&f->w1, cl_in_handle);
	INIT_WORK(&f->w2, cl_no_scope);
}
