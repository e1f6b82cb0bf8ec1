"""Helpers for the application assignment: initialization for deep nets, prediction and pictures.

Given to students. Shapes: X is (n_x, m) with one flattened image per column, Y is (1, m) of 0/1 labels.
"""
import numpy as np

from cat_data import data_note
from dnn_app_utils import L_model_forward


def initialize_parameters_deep_scaled(layer_dims):
    """Parameters of an L-layer network with W[l] ~ N(0, 1) / sqrt(n[l-1]) and b[l] = 0, seed 1.

    layer_dims -- [n0, n1, ..., nL]. Returns "W1", "b1", ..., "WL", "bL" (shapes as initialize_parameters_deep).
    Dividing by sqrt(n[l-1]) keeps each unit's input at about unit variance, however wide the layer before it.
    """
    np.random.seed(1)
    parameters = {}
    for l in range(1, len(layer_dims)):
        parameters["W" + str(l)] = np.random.randn(layer_dims[l], layer_dims[l - 1]) / np.sqrt(layer_dims[l - 1])
        parameters["b" + str(l)] = np.zeros((layer_dims[l], 1))
    return parameters


def predict(X, y, parameters):
    """Predict 0/1 for every column of X with the network `parameters`, and print the accuracy against y.

    X -- (n_x, m); y -- (1, m). Returns the predictions, (1, m) of 0/1 (int).
    """
    probabilities, _ = L_model_forward(X, parameters)
    predictions = (probabilities > 0.5).astype(int)
    correct = int(np.sum(predictions == y))
    m = X.shape[1]
    print(f"Accuracy: {correct / m} ({correct} of {m} correct){data_note()}")
    return predictions


class TrainingProgress:
    """The iterations 0 ... num_iterations - 1 of a training loop; with show=True, a progress bar (tqdm) and
    the cost printed at every 100th and at the last iteration (see `cost`)."""

    def __init__(self, num_iterations, show=True, every=100):
        self.num_iterations, self.show, self.every = num_iterations, show, every
        self.bar = None
        if show:
            import sys

            from tqdm import tqdm

            # text bar on stdout: the cost lines (tqdm.write) then print above it, in a notebook too
            self.bar = tqdm(total=num_iterations, desc="training", unit="it", file=sys.stdout, mininterval=0.5,
                            dynamic_ncols=False, ncols=80)

    def __iter__(self):
        try:
            for i in range(self.num_iterations):
                yield i
                if self.bar is not None:
                    self.bar.update()
        finally:
            if self.bar is not None:
                self.bar.close()

    def cost(self, i, cost):
        """Print `cost` if iteration `i` is a 100th or the last one (and progress is shown)."""
        if self.bar is not None and (i % self.every == 0 or i == self.num_iterations - 1):
            self.bar.write(f"Cost after iteration {i}: {float(np.squeeze(cost))!r}")
            self.bar.set_postfix(cost=f"{float(np.squeeze(cost)):.4f}", refresh=False)


def plot_costs(costs, learning_rate, title=""):
    """Plot the cost recorded every 100 iterations."""
    import matplotlib.pyplot as plt

    plt.figure(figsize=(6, 4))
    plt.plot(np.arange(len(costs)) * 100, np.squeeze(np.array(costs, dtype=float)))
    plt.xlabel("iteration")
    plt.ylabel("cost")
    plt.title(title or f"learning rate = {learning_rate}")
    plt.show()


def show_mislabeled(classes, X_orig, y, predictions, max_images=12, columns=6):
    """Show the images whose prediction differs from the label, in a grid with both names."""
    import matplotlib.pyplot as plt

    wrong = np.flatnonzero(predictions.ravel() != y.ravel())[:max_images]
    if wrong.size == 0:
        print("No mislabeled images.")
        return
    rows = -(-wrong.size // columns)
    # constrained layout leaves room for each title above its own picture: no title reaches into the row above
    fig, axes = plt.subplots(rows, columns, figsize=(2.2 * columns, 2.9 * rows), squeeze=False,
                             layout="constrained")
    for ax in axes.ravel():
        ax.axis("off")
    for ax, index in zip(axes.ravel(), wrong):
        ax.imshow(X_orig[index])
        ax.set_title(f"#{index}: predicted {classes[predictions.ravel()[index]].decode()}\n"
                     f"really {classes[y.ravel()[index]].decode()}", fontsize=9)
    plt.show()


def load_image(path, num_px=64):
    """An image file as a column (num_px * num_px * 3, 1) scaled to [0, 1], and the resized picture."""
    from PIL import Image

    with Image.open(path) as image:
        picture = np.asarray(image.convert("RGB").resize((num_px, num_px)))
    return picture.reshape(-1, 1) / 255.0, picture
