"""Activation functions for the step-by-step assignment, each forward step beside its backward step.

Given to students: nothing to write here. Shapes: Z, A, dA and dZ all have shape (n[l], m).
"""
import numpy as np


def sigmoid(Z):
    """A = 1 / (1 + exp(-Z)). Returns (A, cache) where cache is Z, kept for the backward step."""
    A = 1 / (1 + np.exp(-Z))
    return A, Z


def sigmoid_backward(dA, cache):
    """dZ = dA * s * (1 - s) with s = sigmoid(Z), Z = cache."""
    s = 1 / (1 + np.exp(-cache))
    return dA * s * (1 - s)


def relu(Z):
    """A = max(0, Z), elementwise. Returns (A, cache) where cache is Z."""
    A = np.maximum(0, Z)
    return A, Z


def relu_backward(dA, cache):
    """dZ = dA where Z > 0, and 0 where Z <= 0 (Z = cache)."""
    dZ = np.array(dA, copy=True)
    dZ[cache <= 0] = 0
    return dZ
