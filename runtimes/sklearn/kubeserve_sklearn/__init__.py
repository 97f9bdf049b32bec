"""KubeServe's scikit-learn runtime: pickle scan, model inspection, requirements and the server."""

__version__ = "0.1.0"
