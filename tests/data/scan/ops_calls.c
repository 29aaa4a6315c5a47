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

/* The object is a variable of the file (ocfs2's stackglue.c calls
 * active_stack->sp_ops->dlm_lock()): its declared type resolves the call.
 * The twin's variable is of another struct type, whose ops hold no step. */
struct plugin_ops {
	int (*run)(struct step *s);
};

struct plugin {
	const struct plugin_ops *ops;
};

struct other_ops {
	int (*run)(struct step *s);
};

struct other {
	const struct other_ops *ops;
};

static struct plugin *active_plugin;
static struct other *active_other;

static int plugin_alloc(struct step *s)
{
	p = kmalloc(8, GFP_NOFS);			/* expect: redundant always */
	return 0;
}

static int other_alloc(struct step *s)
{
	p = kmalloc(8, GFP_NOFS);			/* expect: keep unknown */
	return 0;
}

static const struct plugin_ops plugin_ops_table = {
	.run = plugin_alloc,
};

static const struct other_ops other_ops_table = {
	.run = other_alloc,
};

int plugin_run(struct step *s)
{
	unsigned int flags = memalloc_nofs_save();
	int ret = active_plugin->ops->run(s);

	memalloc_nofs_restore(flags);
	return ret;
}
