import sys

try:
    from .cli import main
except KeyboardInterrupt:  # Ctrl-C while the command loads: no traceback
    print("hardtarget: interrupted", file=sys.stderr)
    sys.exit(130)

sys.exit(main())
