"""Call resolution: statics first, then headers the file includes, then globals;
function-like macros as the calling file sees them."""

from __future__ import annotations

from nofsbot import config
from nofsbot.analyse.extract import Extractor
from nofsbot.analyse.program import Program

FILES = {
    "fs/u/one.h": "#define frob(x) one_frob(x)\n",
    "fs/u/two.h": "#define frob(x) two_frob(x)\n",
    "fs/u/one.c": '#include "one.h"\nint one_frob(int x) { return x; }\n'
    "int user_one(void) { return frob(1); }\n",
    "fs/u/two.c": '#include "two.h"\nint two_frob(int x) { return x; }\n'
    "int user_two(void) { return frob(2); }\n",
}


def test_macro_resolves_through_the_header_the_file_includes() -> None:
    cfg = config.load()
    ex = Extractor(cfg)
    prog = Program([ex.extract(p, src.encode()) for p, src in FILES.items()], cfg)
    names = {fn.name: fn for fn in prog.fns}
    for user, target in (("user_one", "one_frob"), ("user_two", "two_frob")):
        fn = names[user]
        (ci,) = [i for i, (c, _) in enumerate(fn.facts.calls) if c == "frob"]
        assert [prog.fns[t].name for t in fn.callees[ci]] == [target]
