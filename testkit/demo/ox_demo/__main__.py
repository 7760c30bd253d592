"""``python -m ox_demo``: the connector on the demo organisation against an emulator."""

from .demo import main

main()
