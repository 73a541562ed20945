"""The command line: ``vidstyle {file,batch,image,webcam,serve,styles,bench,eval,export,train}``.

``main`` builds the parser and turns errors into one line; ``args`` holds the options and checks that several
commands share; ``optimize`` is the ``image --optimize`` step; every other module is one command with
``register(subparsers)`` and ``run(args)``.
Commands only parse, check and compose: the work is done by the library they call.

May import anything in vidstyle; nothing imports it. Heavy modules (torch) are imported inside ``run`` so
that ``--help`` and argument errors are instant.
"""
