"""A small typed kubectl wrapper for the Kubernetes target (every call is `kubectl ...`)."""

from rollout.kube.kubectl import Kubectl, KubectlError
from rollout.kube.portforward import PortForward

__all__ = ["Kubectl", "KubectlError", "PortForward"]
