"""The networks the course builds: a plain encoder-decoder FCN and the U-Net.

* :class:`UNet` (Ronneberger, Fischer and Brox 2015), in the paper's configuration or the
  modern one (same padding, batch norm), built from the blocks in :mod:`course.models.unet`.
* :class:`EncoderDecoder`, the lecture's "downsampling and upsampling inside the network"
  without skip connections (lesson 05), in :mod:`course.models.encoder_decoder`.
* :mod:`course.models.sizes`: which input sizes a configuration can take, and why not.
* :mod:`course.models.trace`: every layer's output shape and receptive field, computed
  from the configuration alone (the shape tracer of lesson 05 draws it).
"""

from .encoder_decoder import EncoderDecoder
from .sizes import check_input_size, unet_output_size, valid_input_sizes
from .unet import DoubleConv, Down, OutConv, UNet, Up, center_crop

__all__ = ["UNet", "DoubleConv", "Down", "Up", "OutConv", "center_crop", "EncoderDecoder",
           "check_input_size", "unet_output_size", "valid_input_sizes"]
