/* Calls through a struct field resolve by type (MLTA): a function stored in
 * step_ops.run is a callee of every `x->ops->run()` with x a struct step. */
struct step_ops {
	int (*run)(struct step *s);
	int (*undo)(struct step *s);
};

struct step {
	const struct step_ops *ops;
};

static int run_alloc(struct step *s)
{
	p = kmalloc(8, GFP_NOFS);			/* expect: redundant always */
	return 0;
}

/* twin: stored in the same struct, but nothing calls through .undo here */
static int undo_alloc(struct step *s)
{
	p = kmalloc(8, GFP_NOFS);			/* expect: keep unknown */
	return 0;
}

static const struct step_ops my_step_ops = {
	.run = run_alloc,
	.undo = undo_alloc,
};

int do_steps(struct step *s)
{
	unsigned int flags = memalloc_nofs_save();
	int ret = s->ops->run(s);

	memalloc_nofs_restore(flags);
	return ret;
}
