"""Live training plots (pyqtgraph): curves are created once and fed from growable NumPy buffers."""
