"""The OX Connector demo: ``python -m ox_demo`` (see ``ox_demo.demo``)."""
