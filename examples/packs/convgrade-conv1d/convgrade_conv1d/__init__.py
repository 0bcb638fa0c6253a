"""convgrade-conv1d: an exercise pack for convgrade (conv1d, depthwise-separable convolution).

The entry point ``convgrade.exercises = conv1d`` names :data:`PACK`; convgrade imports the
catalog modules it lists, which register the exercises.
"""

from pathlib import Path

from grader.api import Pack

HERE = Path(__file__).resolve().parent

PACK = Pack(
    name="convgrade-conv1d",
    api="1.0",
    catalog=("convgrade_conv1d.ex21_conv1d", "convgrade_conv1d.ex22_depthwise_separable"),
    solutions=HERE / "solutions",
    locale=HERE / "locale",
)
