"""A neural network written by hand in NumPy, named like ``torch.nn`` (and never importing torch).

    from nnworkshop.scratch import mlp, fit, predict
    net = mlp((784, 128, 64, 10))               # Linear, ReLU, Linear, ReLU, Linear
    history = fit(net, X, y, epochs=5, lr=0.1, momentum=0.9)

Read it in this order: ``activations`` (functions and derivatives), ``parameter``,
``layers`` (forward/backward pairs), ``loss``, ``optim``, ``init``, ``build``,
``train``, ``gradcheck``, ``xor``; then ``conv`` and ``pool`` (notebook 07's convolutions); ``autograd`` (a
reverse-mode engine: the same gradients with no backward written by hand, notebook 02) and ``autograd_mlp``
(the course's MLP trained on it).
"""

from . import activations, autograd, autograd_mlp
from .activations import (log_softmax, relu, relu_grad, sigmoid, sigmoid_grad, sigmoid_grad_from_output, softmax, tanh,
                          tanh_grad, tanh_grad_from_output)
from .autograd import Tensor, no_grad
from .build import cnn, mlp
from .conv import Conv2d, col2im, conv2d_backward, conv2d_forward, conv2d_loop, im2col, output_size
from .gradcheck import check_layer, gradient_check, numerical_gradient, rel_error
from .init import as_rng, he_normal, init_weight, xavier_uniform
from .layers import Dropout, Flatten, LeakyReLU, Linear, Module, ReLU, Sequential, Sigmoid, Tanh
from .loss import SoftmaxCrossEntropy, cross_entropy, cross_entropy_grad
from .optim import SGD, Adam, Optimizer
from .parameter import Parameter
from .pool import MaxPool2d, maxpool_backward, maxpool_forward
from .train import evaluate, fit, predict, predict_proba
from .xor import xor_data, xor_net

__all__ = [
    "activations", "autograd", "autograd_mlp", "Tensor", "no_grad", "log_softmax", "relu", "relu_grad", "sigmoid", "sigmoid_grad", "sigmoid_grad_from_output",
    "softmax", "tanh", "tanh_grad", "tanh_grad_from_output", "cross_entropy", "cross_entropy_grad", "mlp", "check_layer", "gradient_check", "numerical_gradient", "rel_error", "as_rng",
    "he_normal", "init_weight", "xavier_uniform", "Dropout", "LeakyReLU", "Linear", "Module", "ReLU",
    "Sequential", "Sigmoid", "Tanh", "SoftmaxCrossEntropy", "SGD", "Adam", "Optimizer", "Parameter",
    "evaluate", "fit", "predict", "predict_proba", "xor_data", "xor_net",
    "cnn", "Conv2d", "col2im", "conv2d_backward", "conv2d_forward", "conv2d_loop", "im2col", "output_size",
    "Flatten", "MaxPool2d", "maxpool_backward", "maxpool_forward",
]
