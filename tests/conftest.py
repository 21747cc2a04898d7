import os

# Qt tests run headless; without this and without a display pytest-qt aborts the run.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("TORCHCANVAS_SETTINGS", "test")
