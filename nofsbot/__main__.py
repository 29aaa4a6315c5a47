from nofsbot.cli import main

raise SystemExit(main())
