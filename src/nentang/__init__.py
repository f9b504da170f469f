"""nentang — nền tảng số: an open-source national digital platform for Vietnam."""

__version__ = "0.1.0"
