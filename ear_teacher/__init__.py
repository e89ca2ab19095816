"""A SAM-backed variational autoencoder for ear crops whose encoder teaches ear landmark and detection models; eigenears show what it learned.

Modules:

- `ear_teacher.data`: Data sources (seed `.npy`, COCO, CSV, `.pts`, folders, synthetic), letterbox crops, a memory-mapped crop cache, fastai DataLoaders with batch augmentation on the device, and `ear-teacher check-data`."""

__version__ = "0.1.0"
