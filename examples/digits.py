"""Find a learning rate for a small CNN on handwritten digits, then train with it.

Run it with:

    python examples/digits.py
    tensorboard --logdir logs/digits    # then open the "LR Finder" tab

The digits (1,797 8x8 images) ship with scikit-learn, so nothing is downloaded.
"""

import os

import keras
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from lrfinder_tb import LRFinder

LOG_DIR = "logs/digits"
FALLBACK_LEARNING_RATE = 1e-3

# Data: 8x8 grey images scaled to [0, 1], 20% held out for validation.
digits = load_digits()
images = (digits.images / 16.0).astype("float32")[..., None]
x_train, x_val, y_train, y_val = train_test_split(
    images, digits.target, test_size=0.2, random_state=0, stratify=digits.target
)

keras.utils.set_random_seed(0)
model = keras.Sequential(
    [
        keras.Input(shape=(8, 8, 1)),
        keras.layers.Conv2D(16, 3, padding="same", activation="relu"),
        keras.layers.MaxPooling2D(2),
        keras.layers.Flatten(),
        keras.layers.Dense(10),
    ]
)
model.compile(
    optimizer=keras.optimizers.Adam(),
    loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    metrics=["accuracy"],
)

# The range test: the finder raises the learning rate batch by batch, ends `fit`
# when the loss diverges (or after 100 batches), then puts the weights and the
# optimizer back as they were. `epochs` only needs to cover those 100 batches.
finder = LRFinder(log_dir=LOG_DIR)
model.fit(
    x_train,
    y_train,
    batch_size=32,
    epochs=10,
    callbacks=[finder, keras.callbacks.TensorBoard(LOG_DIR)],
    verbose=0,
)

result = finder.result
if result.suggestion is not None:
    print(f"Suggested learning rate: {result.suggestion:.3g} (stop reason: {result.stop_reason})")
    learning_rate = result.suggestion
else:
    print(result.explanation)
    print(f"Training with {FALLBACK_LEARNING_RATE} instead.")
    learning_rate = FALLBACK_LEARNING_RATE

# Real training at that rate. Its logs go to their own directory, so they do not
# mix with the range test's `train` run.
model.optimizer.learning_rate.assign(learning_rate)
history = model.fit(
    x_train,
    y_train,
    batch_size=32,
    epochs=5,
    validation_data=(x_val, y_val),
    callbacks=[keras.callbacks.TensorBoard(os.path.join(LOG_DIR, "training"))],
    verbose=0,
)
print(f"Validation accuracy after 5 epochs: {history.history['val_accuracy'][-1]:.3f}")

try:
    ax = finder.plot()
except ImportError as error:
    print(f"No plot: {error}")
else:
    plot_path = os.path.join(LOG_DIR, "lr_finder.png")
    ax.figure.savefig(plot_path, dpi=100)
    print(f"Plot saved to {plot_path}")
