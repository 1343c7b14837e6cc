"""xingan-desk core: Qt-free record kinds, storage, numbering, sync, printing, export."""

__version__ = "0.1.0"
